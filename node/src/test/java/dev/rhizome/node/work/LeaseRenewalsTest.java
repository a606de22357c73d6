package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.job.JobClock;
import org.junit.jupiter.api.Test;

/**
 * When a node renews the lease of a unit it works on: a job longer than a fixed lease keeps its
 * unit to its end, a stuck one does not keep it past its job's bound, and a lease that covers the
 * job is left alone.
 */
class LeaseRenewalsTest {
    private static final long LEASE_MS = 5_000;

    /**
     * A coordinator with a fixed 5 s lease (FaultsTest's) and a job of 40 s with a 30 s timeout:
     * renewing as told, the lease never runs out while the job runs, and each renewal is asked for
     * with half a lease to spare.
     */
    @Test
    void aJobLongerThanAFixedLeaseKeepsItsUnitToItsEnd() {
        long start = 1_000_000;
        long holdUntil = LeaseRenewals.holdUntilMs(start, 30_000);
        long deadline = start + LEASE_MS;
        long granted = start;
        int renewals = 0;
        for (long now = start; now <= start + 40_000; now += 100) {
            assertThat(now).as("the lease holds at %d ms into the job", now - start).isLessThanOrEqualTo(deadline);
            LeaseRenewals.Step step = LeaseRenewals.next(now, granted, deadline, holdUntil);
            assertThat(step.renew()).isTrue();
            if (now >= step.atMs()) {
                assertThat(deadline - now).as("renewed with time to spare").isGreaterThanOrEqualTo(LEASE_MS / 2 - 100);
                granted = now;
                deadline = now + LEASE_MS;
                renewals++;
            }
        }
        assertThat(renewals).as("about one renewal per half lease").isBetween(15, 17);
    }

    /** A job that never ends (or a node whose job runner is stuck) is renewed to its wall-clock bound, not for ever. */
    @Test
    void renewalsEndAtTheJobsWallClockBound() {
        long start = 0;
        long timeoutMs = 10_000;
        long holdUntil = LeaseRenewals.holdUntilMs(start, timeoutMs);
        assertThat(holdUntil).isEqualTo(timeoutMs * JobClock.WALL_BOUND_FACTOR + LeasePlanner.MARGIN_MS);
        long deadline = LEASE_MS;
        long granted = 0;
        long lastRenewal = -1;
        for (long now = 0; now < 10 * holdUntil; now += 100) {
            LeaseRenewals.Step step = LeaseRenewals.next(now, granted, deadline, holdUntil);
            if (step.renew() && now >= step.atMs()) {
                granted = now;
                deadline = now + LEASE_MS;
                lastRenewal = now;
            }
        }
        assertThat(lastRenewal).as("no renewal past the bound").isLessThan(holdUntil);
        assertThat(deadline).as("the lease ends soon after it: the unit is issued again").isBetween(holdUntil,
                holdUntil + LEASE_MS);
    }

    @Test
    void aLeaseThatCoversTheJobIsNotRenewed() {
        // the lease a coordinator derives from the manifest: twice the timeout and 30 s
        long holdUntil = LeaseRenewals.holdUntilMs(0, 60_000);
        assertThat(LeaseRenewals.next(0, 0, 2 * 60_000 + 30_000, holdUntil).renew()).isFalse();
    }

    @Test
    void aLeaseRunOutIsNotRenewed() {
        // a node resumed after a pause past its deadline: the coordinator has taken the unit back
        assertThat(LeaseRenewals.next(10_001, 0, 10_000, 1_000_000).renew()).isFalse();
        assertThat(LeaseRenewals.retry(10_000, 10_000).renew()).isFalse();
    }

    @Test
    void aShortLeaseIsRenewedNoMoreThanOnceASecondUnlessItEndsSooner() {
        assertThat(LeaseRenewals.next(0, 0, 1_500, 1_000_000).atMs()).isEqualTo(LeaseRenewals.MIN_PERIOD_MS);
        assertThat(LeaseRenewals.next(0, 0, 400, 1_000_000).atMs()).as("not after its deadline").isEqualTo(400);
    }

    /** A unit claimed ahead or resumed with little of its lease left is renewed soon, not at its deadline. */
    @Test
    void aHoldStartingLateInALeaseRenewsAtHalfOfWhatIsLeft() {
        assertThat(LeaseRenewals.first(4_000, 5_000, 1_000_000).atMs()).isEqualTo(4_500);
        assertThat(LeaseRenewals.first(0, 2 * 60_000 + 30_000, LeaseRenewals.holdUntilMs(0, 60_000)).renew())
                .as("a lease that covers the job").isFalse();
        assertThat(LeaseRenewals.first(5_001, 5_000, 1_000_000).renew()).as("run out").isFalse();
    }

    /** The coordinator unreachable: tried again within the lease, at half of what is left, at least a second apart. */
    @Test
    void anUnreachableCoordinatorIsTriedAgainWithinTheLease() {
        assertThat(LeaseRenewals.retry(0, 8_000).atMs()).isEqualTo(4_000);
        assertThat(LeaseRenewals.retry(0, 1_500).atMs()).isEqualTo(1_000);
    }

    @Test
    void aFetchIsGivenAsLongAsItsJobMayRunAndAtLeastAMinute() {
        assertThat(LeaseRenewals.fetchGiveUpAtMs(1_000, 300_000)).isEqualTo(301_000);
        assertThat(LeaseRenewals.fetchGiveUpAtMs(1_000, 5_000)).isEqualTo(1_000 + LeaseRenewals.MIN_FETCH_MS);
        assertThat(LeaseRenewals.fetchGiveUpAtMs(Long.MAX_VALUE - 10, 5_000)).isEqualTo(Long.MAX_VALUE);
    }
}
