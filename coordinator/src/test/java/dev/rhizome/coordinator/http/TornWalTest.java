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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator killed while SQLite appended a transaction to its write-ahead log: the log ends
 * in a torn frame (half a transaction, or bytes that were never a frame). The next start must
 * open the database, keep every transaction acknowledged before, drop the torn one whole, and
 * write on.
 */
class TornWalTest {
    private static final String WAL = SqliteStore.FILE_NAME + "-wal";

    @TempDir
    Path dataDir;

    @TempDir
    Path copies;

    @Test
    void aLogTornAtItsTailOpensWithEveryAcknowledgedWrite() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            Identity runner = Identity.generate();
            Map<String, byte[]> acked;
            Map<String, byte[]> later;
            List<SignedEnvelope> results;
            UnitList units;
            DirectionList directions;
            Identity proposer = Identity.generate();
            // A reader open from before the writes keeps the log from being started over while they
            // are made: the store's checkpointer (PASSIVE every 200 ms with writes) copies into the
            // database file no frame past a reader's snapshot, and none at all while a reader reads
            // the file alone, so the log is never wholly copied, and a writer starts it over only
            // then. Started over, the torn tail cut below would not be the next transaction's.
            try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteStore.FILE_NAME));
                    Statement read = reader.createStatement()) {
                reader.setAutoCommit(false);
                try (ResultSet r = read.executeQuery("SELECT count(*) FROM sqlite_schema")) {
                    assertThat(r.next()).isTrue();
                }
                WorkUnit baseline = h.claimEvaluation(runner, h.seedCommit);
                SignedEnvelope result = h.api.sign(runner, Fixtures.result(runner, baseline, 3.2, h.clock.millis()));
                h.api.post("/v1/results", result).ack();
                results = List.of(result);
                units = h.units("");
                directions = h.api.get("/v1/directions", DirectionList.newBuilder()).build();
                acked = snapshot();
                // One more transaction, whose frames the kill cuts in the middle.
                h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, SEED, DIRECTION,
                        Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
                later = snapshot();
                reader.rollback();
            }
            byte[] ackedWal = acked.get(WAL);
            byte[] laterWal = later.get(WAL);
            assertThat(laterWal.length).isGreaterThan(ackedWal.length);
            assertThat(Arrays.copyOf(laterWal, ackedWal.length)).as("the log only grew (not started over between)")
                    .isEqualTo(ackedWal);

            byte[] garbage = new byte[3000];
            new Random(5).nextBytes(garbage);
            Map<String, byte[]> tails = Map.of(
                    "half the next transaction", Arrays.copyOf(laterWal, ackedWal.length + (laterWal.length - ackedWal.length) / 2),
                    "the next transaction less its last bytes", Arrays.copyOf(laterWal, laterWal.length - 100),
                    "bytes that never were a frame", concat(ackedWal, garbage));
            for (var tail : tails.entrySet()) {
                Path crash = Files.createDirectories(copies.resolve(tail.getKey().replace(' ', '-')));
                for (var f : later.entrySet()) {
                    Files.write(crash.resolve(f.getKey()), f.getKey().equals(WAL) ? tail.getValue() : f.getValue());
                }
                try (Coordinator recovered = Coordinator.start(h.config().withDataDir(crash))) {
                    ApiClient api = new ApiClient(recovered.url(), ApiClient.Format.JSON, h.clock);
                    assertThat(api.get("/v1/results", EnvelopeList.newBuilder()).getEnvelopesList())
                            .as(tail.getKey()).isEqualTo(results);
                    assertThat(api.get("/v1/units", UnitList.newBuilder()).build()).as(tail.getKey()).isEqualTo(units);
                    assertThat(api.get("/v1/directions", DirectionList.newBuilder()).build()).as(tail.getKey())
                            .isEqualTo(directions);
                    // and it writes on, over the torn tail
                    api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, SEED, DIRECTION,
                            Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
                }
                try (Coordinator again = Coordinator.start(h.config().withDataDir(crash))) {
                    ApiClient api = new ApiClient(again.url(), ApiClient.Format.JSON, h.clock);
                    assertThat(api.get("/v1/results", EnvelopeList.newBuilder()).getEnvelopesList()).isEqualTo(results);
                }
            }
        }
    }

    /** The data directory's files as a kill -9 now would leave them (the coordinator still running). */
    private Map<String, byte[]> snapshot() throws Exception {
        Map<String, byte[]> files = new HashMap<>();
        try (var list = Files.list(dataDir)) {
            for (Path f : list.toList()) {
                if (Files.isRegularFile(f)) {
                    files.put(f.getFileName().toString(), Files.readAllBytes(f));
                }
            }
        }
        assertThat(files).containsKey(WAL);
        return files;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
