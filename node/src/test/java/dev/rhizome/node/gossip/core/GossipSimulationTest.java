package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Deterministic simulation of the gossip core ({@link SimNet}): each seed draws a network (a few to
 * a dozen honest nodes, up to three liars (some of them flooders), latency, lost connections,
 * partitions, restarts, now and then a node down past the coordinator's freshness window, work that
 * needs commits) and runs it on virtual time, checking the invariants at every step and delivery
 * at the end. A failure names its seed; the seed replays the run exactly:
 *
 * <pre>
 * mvn -B -o -pl node -am test -Dtest=GossipSimulationTest -Dsurefire.failIfNoSpecifiedTests=false -Drhizome.sim.seed=SEED
 * </pre>
 *
 * and runs new seeds for as long as one likes ({@code -Drhizome.sim.minutes=60}), or a given number
 * ({@code -Drhizome.sim.seeds=10000}, from {@code -Drhizome.sim.first=N}). To see why a seed fails,
 * {@code -Dsimdebug=N} prints node N's effects at each step and {@code -Dsimtrace=1} the faults,
 * commits, wants, links and transfers of every node (in the test's output file under
 * {@code node/target/surefire-reports}).
 */
class GossipSimulationTest {
    /** Seeds every build runs: a few hundred, a few seconds' work. */
    static final int DEFAULT_SEEDS = 200;

    @Test
    void randomNetworkSchedulesKeepEveryInvariantAndDeliverEverything() {
        String one = System.getProperty("rhizome.sim.seed");
        if (one != null) {
            runSeed(Long.parseLong(one));
            return;
        }
        long first = Long.getLong("rhizome.sim.first", 1);
        long minutes = Long.getLong("rhizome.sim.minutes", 0);
        long seeds = Long.getLong("rhizome.sim.seeds", DEFAULT_SEEDS);
        long deadline = System.nanoTime() + Duration.ofMinutes(minutes).toNanos();
        long ran = 0;
        Exercised exercised = new Exercised();
        for (long seed = first; minutes > 0 ? System.nanoTime() < deadline : seed < first + seeds; seed++) {
            exercised.add(runSeed(seed));
            ran++;
            if (minutes > 0 && ran % 1000 == 0) {
                System.out.printf("gossip simulation: %d seeds passed (last %d)%n", ran, seed);
            }
        }
        System.out.printf("gossip simulation: %d seeds passed, from %d; %s%n", ran, first, exercised);
        if (ran >= DEFAULT_SEEDS) {
            exercised.assertAll();
        }
    }

    /**
     * What a build's seeds must have exercised, besides passing: the long schedules (a node down past
     * the coordinator's 10-minute freshness window left out of its answers to the others, then back
     * and caught up), floods past every neighbour's token bucket (turned away, costing only the
     * flooder: no honest node lowers an honest one's score), and crashes while a peers file write
     * was in flight (the restart reads the previous whole file, never a torn one). Counted over the
     * seeds the test already runs, so they cost no run of their own.
     */
    private static final class Exercised {
        long staleLeftOut;
        long staleReturns;
        long floodsTurnedAway;
        long crashesMidSave;

        void add(SimNet net) {
            staleLeftOut += net.staleLeftOut;
            staleReturns += net.staleReturns;
            floodsTurnedAway += net.rateLimitedAtHonest();
            crashesMidSave += net.crashesMidSave;
        }

        void assertAll() {
            assertThat(staleLeftOut).as("coordinator answers that left a stale node out").isPositive();
            assertThat(staleReturns).as("nodes back after dropping off the coordinator's list").isPositive();
            assertThat(floodsTurnedAway).as("flooded messages turned away past a token bucket").isPositive();
            assertThat(crashesMidSave).as("crashes with a peers file write in flight").isPositive();
        }

        @Override
        public String toString() {
            return "stale left out " + staleLeftOut + ", stale returns " + staleReturns + ", flooded messages turned away "
                    + floodsTurnedAway + ", crashes mid-save " + crashesMidSave;
        }
    }

    /**
     * Keep budgets of a few bundles, so that keeper duties are declined and evicted all the time:
     * makers still find keepers (declined, they name others), and every invariant holds, the
     * replication one included.
     */
    @Test
    void tightKeepBudgetsStillLeaveEveryHonestCommitReplicated() {
        for (long seed = 1; seed <= 100; seed++) {
            SimNet net = new SimNet(seed, 3 * SimNet.BUNDLE_BYTES);
            try {
                net.run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("gossip simulation with a keep budget of 3 bundles failed, seed " + seed + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Seed 98364 crashes node 0 15 s after it started, before its core first asked to save its
     * peers, so it restarts from an empty peers file while the other nodes sit at their degree and
     * never dial it: only the coordinator's answer to its FindPeers (the real node's way back in)
     * can link it again, and then it must get the commit made while it was down. (Found when a
     * restart drew a bootstrap list, which named only node 0 itself; no FindPeers was answered.)
     */
    @Test
    void aRestartedNodeWithNoBootstrapPeerRejoinsThroughTheCoordinatorAndCatchesUp() {
        runSeed(98364);
    }

    /**
     * A restarted node starts as a real one does, from the peers its core last asked to save
     * (peers.bin): at stop, or every 30 s while it ran before a crash. The seeds must exercise both.
     */
    @Test
    void restartedNodesStartFromThePeersTheirCoreSaved() {
        int fromFile = 0;
        int afterStop = 0;
        for (long seed = 1; seed <= 40; seed++) {
            SimNet net = new SimNet(seed);
            net.run();
            fromFile += net.restartsFromPeersFile;
            afterStop += net.restartsAfterCleanStop;
        }
        assertThat(fromFile).as("restarts from a saved peers file").isPositive();
        assertThat(afterStop).as("of those, after a clean stop").isPositive();
        assertThat(fromFile - afterStop).as("of those, after a crash (the last periodic save)").isPositive();
    }

    @Test
    void aSeedReplaysExactly() {
        // 43 keeps a node down past the coordinator's freshness window; 4 has a flooder.
        for (long seed : new long[] {3, 77, 43, 4, new Random().nextInt(1_000_000)}) {
            SimNet a = new SimNet(seed);
            a.run();
            SimNet b = new SimNet(seed);
            b.run();
            assertThat(b.trace).as("trace of seed %d", seed).isEqualTo(a.trace);
            assertThat(b.steps).as("steps of seed %d", seed).isEqualTo(a.steps);
        }
    }

    private static SimNet runSeed(long seed) {
        SimNet net = new SimNet(seed);
        try {
            net.run();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("gossip simulation failed; replay with -Drhizome.sim.seed=" + seed + ": "
                    + e.getMessage(), e);
        }
        return net;
    }
}
