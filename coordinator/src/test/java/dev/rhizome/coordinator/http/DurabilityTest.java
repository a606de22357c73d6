package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whatever the coordinator acknowledged is still there after a restart, clean or not. */
class DurabilityTest {
    @TempDir
    Path dataDir;

    @TempDir
    Path crashCopy;

    /** Acks a baseline result, registers an experiment and leases one of its units. */
    private static List<SignedEnvelope> ackSomeWork(Harness h) {
        Identity runner = Identity.generate();
        Identity proposer = Identity.generate();
        WorkUnit baseline = h.claimEvaluation(runner, h.seedCommit);
        SignedEnvelope result = h.api.sign(runner, Fixtures.result(runner, baseline, 3.2, h.clock.millis()));
        h.api.post("/v1/results", result).ack();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        h.claimEvaluation(runner, commit);
        return List.of(result);
    }

    private static void assertSameState(ApiClient api, List<SignedEnvelope> results, UnitList units,
            DirectionList directions) {
        assertThat(api.get("/v1/results", EnvelopeList.newBuilder()).getEnvelopesList()).isEqualTo(results);
        assertThat(api.get("/v1/units", UnitList.newBuilder()).build()).isEqualTo(units);
        assertThat(api.get("/v1/directions", DirectionList.newBuilder()).build()).isEqualTo(directions);
    }

    @Test
    void cleanRestartKeepsEveryAckedResultAndUnitState() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            List<SignedEnvelope> results = ackSomeWork(h);
            UnitList units = h.units("");
            DirectionList directions = h.api.get("/v1/directions", DirectionList.newBuilder()).build();
            assertThat(directions.getDirections(0).getFrontierMetric()).isEqualTo(3.2);

            h.restart(ApiClient.Format.PROTOBUF);
            assertSameState(h.api, results, units, directions);
        }
    }

    /**
     * Copies the data directory while the first coordinator is still running and never closed:
     * the copy is what a crash (kill -9) right after the last ack would leave on disk.
     */
    @Test
    void crashAfterAckLosesNothing() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            List<SignedEnvelope> results = ackSomeWork(h);
            UnitList units = h.units("");
            DirectionList directions = h.api.get("/v1/directions", DirectionList.newBuilder()).build();

            try (var files = Files.list(dataDir)) {
                for (Path file : files.toList()) {
                    Files.copy(file, crashCopy.resolve(file.getFileName()));
                }
            }
            assertThat(crashCopy.resolve(SqliteStore.FILE_NAME + "-wal")).as("committed pages still in the log").exists();

            try (Coordinator recovered = Coordinator.start(h.config().withDataDir(crashCopy))) {
                assertSameState(new ApiClient(recovered.url(), ApiClient.Format.JSON, h.clock), results, units,
                        directions);
            }
        }
    }
}
