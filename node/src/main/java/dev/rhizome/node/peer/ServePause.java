package dev.rhizome.node.peer;

import dev.rhizome.protocol.CrashPoints;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Where a serve may be held for a test ({@link CrashPoints#BUNDLE_SERVING}, armed only in a node a
 * test SIGSTOPs mid-serve): once its bundle is built, before its first byte goes. The hold runs on a
 * thread of its own, never on the connection's event loop (it would stop every link of that loop,
 * not this serve) nor on the builder's (an ask that joined the same build is answered from there and
 * would wait out the hold, where a node resumed serves at once), and it is reached whether the build
 * finished before the serve's listener was added (the listener then runs on the loop) or after
 * (before round 25 the first skipped the hold and the second held the builder; {@code ServePauseTest}).
 * Unarmed, the answer goes to the loop at once.
 */
final class ServePause {
    static final long HOLD_MS = 60_000;

    private final boolean armed;
    private final Runnable hold;

    ServePause(boolean armed, Runnable hold) {
        this.armed = armed;
        this.hold = hold;
    }

    /** The node's: armed by {@code -Drhizome.crash-point=bundle-serving}, held once. */
    static ServePause bundleServing() {
        return new ServePause(CrashPoints.armed(CrashPoints.BUNDLE_SERVING),
                () -> CrashPoints.holdOnce(CrashPoints.BUNDLE_SERVING, HOLD_MS));
    }

    /**
     * Answers {@code build} on {@code loop} once it completes: past the pause where it gave a bundle
     * ({@code isBundle}), straight to the loop otherwise (nothing to serve, or a failure).
     */
    <T> void answerOnLoop(CompletableFuture<T> build, EventExecutor loop, Predicate<T> isBundle,
            BiConsumer<T, Throwable> answer) {
        build.whenComplete((built, failure) -> {
            Runnable answering = () -> answer.accept(built, failure);
            if (!armed || failure != null || !isBundle.test(built)) {
                loop.execute(answering);
                return;
            }
            Thread pausing = new Thread(() -> {
                try {
                    hold.run();
                } finally {
                    loop.execute(answering);
                }
            }, "serve-pause");
            pausing.setDaemon(true);
            pausing.start();
        });
    }
}
