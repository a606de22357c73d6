package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.AttemptCap;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An evaluation nobody can run is given up after {@link AttemptCap#MAX_FAILED_ATTEMPTS} failures
 * from as many runners as there are (up to three), as many of them with standing: a node its
 * volunteer paused runs nothing, so it is none of those runners. Counted, a paused node kept the
 * bar out of reach for as long as it stayed paused, and the commit circulated among the runners
 * still claiming, each expired lease halving a runner's quota. On both stores.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class PausedRunnersAbandonmentTest {
    /** Manifest timeout 60 s: a lease lasts 150 s. */
    private static final Duration LEASE = Duration.ofSeconds(150);

    @Parameter
    String store;

    @TempDir
    Path dataDir;

    private Harness h;
    private final Identity proposer = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults())
                .withSeedAndDirection();
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aLoneRunnerGivesAnUnrunnableCommitUpThoughAPausedNodeIsSeen() {
        measureBase(Identity.generate());
        String ghost = registered();
        Identity only = Identity.generate();
        Identity paused = Identity.generate();
        String unitId = null;
        for (int round = 1; round <= AttemptCap.MAX_FAILED_ATTEMPTS; round++) {
            announce(only, false);
            announce(paused, true);  // seen all along, every heartbeat saying it is paused
            WorkUnit unit = h.claimEvaluation(only, ghost);
            unitId = unit.getId();
            h.clock.advance(LEASE.plusMillis(1).plusSeconds(31));
        }
        announce(paused, true);
        h.api.claim(only, WorkUnit.Kind.EVALUATE);  // a claim ends run-out leases, like the sweep
        UnitStatus status = h.unit(unitId);
        assertThat(status.getState()).as("the paused node is no second runner to wait for").isEqualTo(UnitStatus.State.DONE);
        assertThat(status.getGivenUp()).contains("3 failed attempts from 1 key(s)");
    }

    @Test
    void aPausedRunnerWithStandingDoesNotHoldAnUnfetchableCommitOpen() {
        Identity established = Identity.generate();
        measureBase(established);  // its result is valid: a runner with standing
        String ghost = registered();
        List<Identity> fresh = List.of(Identity.generate(), Identity.generate(), Identity.generate());
        String unitId = null;
        for (Identity runner : fresh) {
            announce(established, true);
            announce(runner, false);
            WorkUnit unit = h.claimEvaluation(runner, ghost);
            unitId = unit.getId();
            h.api.signAndPost("/v1/results", runner, unfetchable(runner, unit)).ack();
        }
        UnitStatus status = h.unit(unitId);
        assertThat(status.getState()).as("no runner with standing claims: three keys' failures give it up")
                .isEqualTo(UnitStatus.State.DONE);
        assertThat(status.getGivenUp()).contains("3 failed attempts from 3 key(s), 0 of them with standing");
    }

    @Test
    void aRunnerWithStandingThatResumedIsWaitedForAgain() {
        Identity established = Identity.generate();
        measureBase(established);
        String ghost = registered();
        announce(established, true);
        announce(established, false);  // resumed: it claims again, and its word is wanted
        String unitId = null;
        for (Identity runner : List.of(Identity.generate(), Identity.generate(), Identity.generate())) {
            announce(runner, false);
            WorkUnit unit = h.claimEvaluation(runner, ghost);
            unitId = unit.getId();
            h.api.signAndPost("/v1/results", runner, unfetchable(runner, unit)).ack();
        }
        UnitStatus status = h.unit(unitId);
        assertThat(status.getState()).as("three fresh keys are not enough while a runner with standing runs")
                .isEqualTo(UnitStatus.State.OPEN);
        assertThat(status.getGivenUp()).isEmpty();
    }

    private void measureBase(Identity runner) {
        WorkUnit base = h.claimEvaluation(runner, h.seedCommit);
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, base, 3.0, h.clock.millis())).ack();
    }

    private String registered() {
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        return commit;
    }

    /** A node's heartbeat, each signed later than the one before (the coordinator keeps only a later one). */
    private void announce(Identity node, boolean paused) {
        h.clock.advance(Duration.ofMillis(1));
        h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(7000)
                .setHardwareClass("cpu:x86_64").setPaused(paused).setNotClaiming(paused ? "paused by its volunteer" : "")
                .setTimeMs(h.clock.millis()).build()).ack();
    }

    private Result unfetchable(Identity runner, WorkUnit unit) {
        return Fixtures.unfetchable(runner, unit, h.clock.millis());
    }
}
