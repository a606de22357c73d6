package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A coordinator SIGKILLed after a result's commit, before its receipt is signed (a crash point
 * holds a real coordinator process there): the result is stored, the runner got no answer. Its
 * resend to the restarted coordinator must be "already recorded" with a receipt that opens under
 * a key the coordinator names, for that envelope at its place in the trail, and the same receipt
 * at every later resend (the node keeps the result in its outbox until it holds one). Both stores.
 */
class ReceiptKillTest {
    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aResultStoredBeforeTheKillGetsItsReceiptWhenSentAgain(String kind) throws Exception {
        TestPostgres pg = kind.equals("postgresql") ? TestPostgres.create() : null;
        String store = pg == null ? "" : pg.address();
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        Process c = coordinators.start("c", store, List.of("-Drhizome.crash-point=" + CrashPoints.RESULT_STORED));
        try {
            String url = coordinators.url("c", c);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            publishSeedAndDirection(operator);
            Identity runner = Identity.generate();
            CoordinatorClient runnerClient = new CoordinatorClient(url, runner, Duration.ofMinutes(5));
            WorkUnit unit = runnerClient.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                    .setHardwareClass("cpu:receipt").addKinds(WorkUnit.Kind.EVALUATE)
                    .setTimeMs(System.currentTimeMillis()).build()).getUnit();
            assertThat(unit.getId()).as("a unit claimed").isNotEmpty();
            SignedEnvelope result = runnerClient.signed(HandRunResults.ok(unit, runner, "cpu:receipt", TinyLmSeed.manifest().getMetric().getName(), 2.0));
            coordinators.killHeldAt("c", c, CrashPoints.RESULT_STORED, "between the commit and the receipt", () -> runnerClient.reportResult(result));

            Process again = coordinators.start("c", store, List.of());
            try {
                String restarted = coordinators.url("c", again);
                CoordinatorClient reader = new CoordinatorClient(restarted, Identity.generate());
                assertThat(reader.results(null, unit.getCommit()).getEnvelopesList()).as("stored before the kill")
                        .containsExactly(result);

                // the runner's outbox sends it again, as it does until it holds the receipt
                CoordinatorClient resender = new CoordinatorClient(restarted, runner);
                Ack ack = resender.reportResult(result);
                assertThat(ack.getMessage()).contains("already recorded");
                Verified<ResultReceipt> receipt = Envelopes.open(ack.getReceipt(), ResultReceipt.getDefaultInstance());
                assertThat(receipt.record().getEnvelopeId()).isEqualTo(Envelopes.id(result)).isEqualTo(ack.getId());
                assertThat(receipt.record().getTimeMs()).as("the time it was stored, before the kill")
                        .isGreaterThan(0).isLessThanOrEqualTo(System.currentTimeMillis());
                CoordinatorStats stats = reader.stats();
                assertThat(stats.getReceiptKeysList()).as("the keys an export names").contains(
                        receipt.signer().toByteString());
                assertThat(resender.reportResult(result).getReceipt()).as("the same receipt at the next resend")
                        .isEqualTo(ack.getReceipt());
                assertThat(reader.results(null, unit.getCommit()).getEnvelopesList()).as("stored once")
                        .containsExactly(result);
            } finally {
                CoordinatorProcesses.stop(again);
            }
        } finally {
            c.destroyForcibly();
            if (pg != null) {
                pg.close();
            }
        }
    }

    /** One replica: the seed's own evaluation is the only unit, claimed by the runner. */
    private void publishSeedAndDirection(CoordinatorClient operator) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).clearTrustedProposers().build();
        byte[] commit = new byte[20];
        random.nextBytes(commit);
        Seed seed = Seed.newBuilder().setName("receipt").setCommit(HexFormat.of().formatHex(commit))
                .setManifest(manifest).setPublisher(operator.identity().publicId().toByteString())
                .setPublishedMs(System.currentTimeMillis()).build();
        operator.publishSeed(seed);
        operator.openDirection(Direction.newBuilder().setName("kept").setSeed("receipt")
                .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                .setOpenedMs(System.currentTimeMillis()).build());
    }
}
