package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LoadScaledBudget;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SharedViewsTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SharedViews views = new SharedViews(now::get);
    private final AtomicInteger builds = new AtomicInteger();

    private String build() {
        return "view " + builds.incrementAndGet();
    }

    @Test
    void aFreshCopyIsSharedAndAStaleOneRebuilt() {
        assertThat(views.get("k", this::build)).isEqualTo("view 1");
        now.addAndGet(FreshCopy.MIN_AGE_NANOS - 1);
        assertThat(views.get("k", this::build)).isEqualTo("view 1");
        now.addAndGet(1);
        assertThat(views.get("k", this::build)).isEqualTo("view 2");
        assertThat(views.get("other", this::build)).as("keys are separate").isEqualTo("view 3");
    }

    @Test
    void anExpensiveViewStaysFreshForAMultipleOfItsCost() {
        long cost = FreshCopy.MIN_AGE_NANOS;  // a build that took as long as the minimum age
        assertThat(views.get("k", () -> {
            now.addAndGet(cost);
            return build();
        })).isEqualTo("view 1");
        now.addAndGet(FreshCopy.COST_FACTOR * cost - 1);
        assertThat(views.get("k", this::build)).isEqualTo("view 1");
        now.addAndGet(1);
        assertThat(views.get("k", this::build)).isEqualTo("view 2");
    }

    @Test
    void aFailedBuildKeepsNothingAndIsTriedAgain() {
        assertThatThrownBy(() -> views.get("unknown", () -> {
            throw new IllegalArgumentException("no such direction");
        })).hasMessage("no such direction");
        assertThat(views.get("unknown", this::build)).isEqualTo("view 1");
    }

    @Test
    void askersOfAStaleViewWaitForOneBuildAndShareIt() throws Exception {
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<String> first = heldBuild(pool, views, building, release);
            assertThat(building.await(10, TimeUnit.SECONDS)).isTrue();
            Future<String> second = pool.submit(() -> views.get("k", this::build));
            Future<String> third = pool.submit(() -> views.get("k", this::build));
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("view 1");
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("view 1");
            assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo("view 1");
            assertThat(builds).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A build stalled (on the database, say) held every asker of the view, each a worker, for as
     * long as it ran. An asker now waits the bound and is refused 503; the build runs on and its
     * view is shared once done. Views built per direction (leaderboards) take their copies here too.
     */
    @Test
    void anAskerWaitingOnAStalledBuildIsRefusedUnavailableAtTheWaitBound() throws Exception {
        SharedViews bounded = new SharedViews(now::get, TimeUnit.MILLISECONDS.toNanos(300));
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> first = heldBuild(pool, bounded, building, release);
            assertThat(building.await(10, TimeUnit.SECONDS)).isTrue();
            Future<String> second = pool.submit(() -> bounded.get("k", this::build));
            Duration budget = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();
            assertThatThrownBy(() -> second.get(budget.toMillis(), TimeUnit.MILLISECONDS))
                    .as("answered while the build is still stalled")
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOfSatisfying(Rejection.class, r -> {
                        assertThat(r.code()).isEqualTo(Error.Code.UNAVAILABLE);
                        assertThat(r.getMessage()).contains("ask again");
                    });
            assertThat(first).isNotDone();
            release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("view 1");
            assertThat(bounded.get("k", this::build)).isEqualTo("view 1");
            assertThat(builds).hasValue(1);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    /** Asks {@code on} for "k" from {@code pool} with a build that starts, says so and waits for {@code release}. */
    private Future<String> heldBuild(ExecutorService pool, SharedViews on, CountDownLatch building, CountDownLatch release) {
        return pool.submit(() -> on.get("k", () -> {
            building.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return build();
        }));
    }
}
