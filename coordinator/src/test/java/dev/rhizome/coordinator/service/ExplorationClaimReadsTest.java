package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SimilarWork;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An exploration's claim that states its hypothesis is told of the direction's recent work that
 * resembles it, and finds that work among the newest experiments only: it read every experiment
 * the direction ever registered (each with its description, up to 16 KiB) inside the claim's write
 * transaction, so on a direction of 100,000 experiments each such claim read some gigabytes while
 * every other write waited.
 */
class ExplorationClaimReadsTest {
    /** More than a claim compares ({@link ExploreStart#COMPARED}), so the first history is already cut. */
    private static final int HISTORY = ExploreStart.COMPARED + 100;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Identity proposer = Identity.generate();
    private final Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01),
            clock.millis());

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aHypothesisClaimReadsNoMoreRowsOnADirectionWithFourTimesTheExperiments(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::check);
    }

    private void check(Store store) {
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), clock.millis());
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), clock.millis());
            tx.insertDirection(direction, Envelopes.sign(operator, direction), clock.millis());
            return null;
        });
        Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8));

        Experiment newest = register(store, HISTORY);
        long shortHistory = claimCost(store, dispatcher, newest);
        newest = register(store, 3 * HISTORY);
        long longHistory = claimCost(store, dispatcher, newest);

        // The two claims measured first recorded their hypotheses, which the later ones read too.
        assertThat(longHistory).as("rows an exploration's claim with a hypothesis read on %d experiments, against %d "
                + "on %d", 4 * HISTORY, shortHistory, HISTORY).isLessThanOrEqualTo(shortHistory + 2);
    }

    /** Registers {@code n} experiments on the direction, one after another; the last one's record. */
    private Experiment register(Store store, int n) {
        return store.inTransaction(tx -> {
            Experiment last = null;
            String parent = seed.getCommit();
            for (int i = 0; i < n; i++) {
                clock.advance(Duration.ofMillis(1));
                last = Fixtures.experiment(proposer, "tiny-lm", "d", Fixtures.commit(), parent, clock.millis());
                tx.insertExperiment(last, Envelopes.sign(proposer, last), clock.millis());
                parent = last.getCommit();
            }
            return last;
        });
    }

    /**
     * Rows read by one exploration's claim whose hypothesis is the newest experiment's description,
     * after one that fills whatever the store keeps; both are told of that experiment.
     */
    private long claimCost(Store store, Dispatcher dispatcher, Experiment newest) {
        claimResembling(dispatcher, newest);
        long before = store.rowsRead();
        claimResembling(dispatcher, newest);
        return store.rowsRead() - before;
    }

    private void claimResembling(Dispatcher dispatcher, Experiment newest) {
        Identity node = Identity.generate();
        ClaimRequest request = ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EXPLORE).setHypothesis(newest.getDescription()).build();
        ClaimResponse response;
        try {
            Verified<ClaimRequest> verified = Envelopes.open(Envelopes.sign(node, request),
                    ClaimRequest.getDefaultInstance());
            response = dispatcher.claim(verified);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(response.getUnit().getKind()).isEqualTo(WorkUnit.Kind.EXPLORE);
        assertThat(response.getSimilarList()).extracting(SimilarWork::getCommit).contains(newest.getCommit());
    }
}
