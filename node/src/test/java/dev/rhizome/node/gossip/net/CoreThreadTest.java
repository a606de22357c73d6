package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.protocol.WarnBudget;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

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

    /**
     * A peer's message is a step: one a rogue found that throws (a PeerExchangeRequest for 2^31
     * records did) could be sent on every link, and each failure wrote an ERROR with a stack trace.
     */
    @Test
    void stepsThatThrowAgainAndAgainLogWithinABudget() {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger coreLog = (Logger) LoggerFactory.getLogger(CoreThread.class);
        logged.start();
        coreLog.addAppender(logged);
        try (CoreThread core = new CoreThread("core-test", System::currentTimeMillis)) {
            AtomicInteger after = new AtomicInteger();
            for (int i = 0; i < 200; i++) {
                core.post(() -> {
                    throw new IllegalArgumentException("injected: a rogue's message the step cannot take");
                });
            }
            core.post(after::incrementAndGet);
            await().atMost(Duration.ofSeconds(30)).until(() -> after.get() == 1);
        } finally {
            coreLog.detachAppender(logged);
        }
        assertThat(logged.list.stream().filter(e -> e.getLevel() == Level.ERROR))
                .as("ERROR lines for 200 failed steps within a minute").isNotEmpty().hasSizeLessThanOrEqualTo(WarnBudget.PER_WINDOW)
                .allSatisfy(e -> assertThat(e.getThrowableProxy()).as("with its stack trace").isNotNull());
    }
}
