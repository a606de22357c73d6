package dev.rhizome.node.gossip.net;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The gossip core ticks only when its last step asked for a wakeup. A step that throws asks for
 * none: the core must still tick again (keepalives, fetch retries, expiries), not wait for a peer
 * to speak.
 */
class CoreThreadTest {
    @Test
    void aWakeupThatThrowsIsTriedAgain() {
        try (CoreThread core = new CoreThread("core-test", System::currentTimeMillis)) {
            AtomicInteger ticks = new AtomicInteger();
            Runnable[] tick = new Runnable[1];
            tick[0] = () -> {
                if (ticks.incrementAndGet() <= 2) {
                    throw new IllegalStateException("injected: a core step fails, asking for no next wakeup");
                }
            };
            core.post(() -> core.wakeAt(core.nowMs(), tick[0]));
            await().atMost(Duration.ofSeconds(30)).until(() -> ticks.get() >= 3);
        }
    }

    @Test
    void aStepThatThrowsAnErrorLeavesTheThreadServingTheNext() {
        try (CoreThread core = new CoreThread("core-test", System::currentTimeMillis)) {
            AtomicInteger after = new AtomicInteger();
            core.post(() -> {
                throw new StackOverflowError("injected");
            });
            core.post(after::incrementAndGet);
            await().atMost(Duration.ofSeconds(30)).until(() -> after.get() == 1);
        }
    }
}
