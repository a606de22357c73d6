package dev.rhizome.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WorkerFailuresTest {
    /** Unguarded, the executor cancels a periodic task at its first exception, without a word. */
    @Test
    void aPeriodicTaskThatThrowsRunsAgainInItsNextPeriod() {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger runs = new AtomicInteger();
            Runnable task = () -> {
                int run = runs.incrementAndGet();
                if (run == 1) {
                    throw new IllegalStateException("injected");
                }
                if (run == 2) {
                    throw new OutOfMemoryError("injected: an Error cancels a task too");
                }
            };
            timer.scheduleWithFixedDelay(WorkerFailures.periodic(LoggerFactory.getLogger(getClass()), "a test task", task),
                    0, 10, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> runs.get() >= 4);
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void countsFailuresInARowUntilTheWorkSucceeds() {
        WorkerFailures failures = new WorkerFailures(LoggerFactory.getLogger(getClass()), "a test task");
        failures.failed(new IllegalStateException("one"));
        failures.failed(new IllegalStateException("two"));
        assertThat(failures.failing()).isEqualTo(2);
        failures.succeeded();
        assertThat(failures.failing()).isZero();
    }
}
