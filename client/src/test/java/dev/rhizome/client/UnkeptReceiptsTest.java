package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.work.AckedResults;
import dev.rhizome.node.work.OutboxDelivery;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose receipts cannot be written (their directory's place taken, as by a directory it may
 * not write) still delivers every result to a real coordinator process: the outbox's pass used to
 * stop at the first result whose receipt failed, so the results behind it never reached the
 * coordinator and their units were issued again at their deadlines. The results stay in the outbox,
 * named in the status, until their receipts are written, then leave it with their receipts kept.
 */
class UnkeptReceiptsTest {
    @TempDir
    Path dir;

    @Test
    void resultsBehindAnUnwritableReceiptStillReachTheCoordinatorAndLeaveOnceTheirReceiptsAreKept() throws Exception {
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        Process c = coordinators.start("c", "", List.of());
        try {
            String url = coordinators.url("c", c);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            List<String> commits = List.of(publishSeedAndDirection(operator, "a"), publishSeedAndDirection(operator, "b"));
            Identity runner = Identity.generate();
            CoordinatorClient runnerClient = new CoordinatorClient(url, runner, Duration.ofMinutes(2));
            Path outboxDir = dir.resolve("node").resolve("outbox");
            ResultOutbox outbox = new ResultOutbox(outboxDir);
            List<SignedEnvelope> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                WorkUnit unit = runnerClient.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                        .setHardwareClass("cpu:receipt").addKinds(WorkUnit.Kind.EVALUATE)
                        .setTimeMs(System.currentTimeMillis()).build()).getUnit();
                assertThat(unit.getId()).as("unit %d claimed", i).isNotEmpty();
                SignedEnvelope result = runnerClient.signed(HandRunResults.ok(unit, runner, "cpu:receipt", TinyLmSeed.manifest().getMetric().getName(), 2.0));
                outbox.put(unit.getId(), result);
                results.add(result);
            }
            Path receiptsDir = outboxDir.resolveSibling(ReceiptBook.DIR_NAME);
            Files.writeString(receiptsDir, "in the receipts directory's place");
            long[] now = {System.currentTimeMillis()};
            AckedResults acked = new AckedResults(outbox, ReceiptBook.besideOutbox(outboxDir), () -> now[0]);
            List<String> acknowledged = new ArrayList<>();
            OutboxDelivery delivery = new OutboxDelivery(outbox, acked, runnerClient, runner, Set.of(), acknowledged::add);

            delivery.round(false);
            CoordinatorClient reader = new CoordinatorClient(url, Identity.generate());
            assertThat(storedAt(reader, commits)).as("both results at the coordinator, the second not held behind the first")
                    .containsExactlyInAnyOrderElementsOf(results);
            assertThat(acked.unkept()).as("named in the status").hasValueSatisfying(u -> assertThat(u.results()).isEqualTo(2));
            assertThat(outbox.pending()).as("kept for their receipts").hasSize(2);
            assertThat(acknowledged).isEmpty();

            Files.delete(receiptsDir);
            delivery.round(false);
            assertThat(outbox.pending()).as("not asked again before their retries are due").hasSize(2);
            now[0] += AckedResults.RETRY_FIRST_MS;
            delivery.round(false);
            assertThat(outbox.pending()).isEmpty();
            assertThat(acked.unkept()).isEmpty();
            assertThat(acknowledged).hasSize(2);
            List<KeptReceipt> kept = ReceiptBook.besideOutbox(outboxDir).all();
            assertThat(kept).extracting(KeptReceipt::getResult).containsExactlyInAnyOrderElementsOf(results);
            for (KeptReceipt k : kept) {
                assertThat(Envelopes.open(k.getReceipt(), ResultReceipt.getDefaultInstance()).record().getEnvelopeId())
                        .isEqualTo(Envelopes.id(k.getResult()));
            }
            assertThat(storedAt(reader, commits)).as("each stored once, resends and all").containsExactlyInAnyOrderElementsOf(results);
        } finally {
            CoordinatorProcesses.stop(c);
        }
    }

    private static List<SignedEnvelope> storedAt(CoordinatorClient reader, List<String> commits) throws CoordinatorException {
        List<SignedEnvelope> stored = new ArrayList<>();
        for (String commit : commits) {
            stored.addAll(reader.results(null, commit).getEnvelopesList());
        }
        return stored;
    }

    /**
     * Seed {@code name} at a random made-up commit and direction "kept-{@code name}" on it, one
     * replica: the seed's own evaluation is its direction's only unit. Returns the commit.
     */
    static String publishSeedAndDirection(CoordinatorClient operator, String name) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).clearTrustedProposers().build();
        byte[] commit = new byte[20];
        new SecureRandom().nextBytes(commit);
        Seed seed = Seed.newBuilder().setName(name).setCommit(HexFormat.of().formatHex(commit))
                .setManifest(manifest).setPublisher(operator.identity().publicId().toByteString())
                .setPublishedMs(System.currentTimeMillis()).build();
        operator.publishSeed(seed);
        operator.openDirection(Direction.newBuilder().setName("kept-" + name).setSeed(name)
                .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                .setOpenedMs(System.currentTimeMillis()).build());
        return seed.getCommit();
    }
}
