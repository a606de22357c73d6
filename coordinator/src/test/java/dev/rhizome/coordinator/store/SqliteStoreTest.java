package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest {
    @TempDir
    Path dataDir;

    private final Identity operator = Identity.generate();

    private Seed seed() {
        return Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
    }

    @Test
    void createsTheSchemaOnceInWalModeAndKeepsDataAcrossReopens() throws Exception {
        Seed seed = seed();
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                return null;
            });
        }
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            Optional<Stored<Seed>> stored = store.inTransaction(tx -> tx.seed("tiny-lm"));
            assertThat(stored.map(Stored::record)).contains(seed);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteStore.FILE_NAME));
                ResultSet versions = c.createStatement().executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version");
                ResultSet mode = c.createStatement().executeQuery("PRAGMA journal_mode")) {
            assertThat(versions.getInt(1)).as("each migration ran once").isEqualTo(versions.getInt(2));
            assertThat(versions.getInt(2)).isEqualTo(SqliteSchema.latestVersion());
            assertThat(mode.getString(1)).isEqualToIgnoringCase("wal");
        }
    }

    @Test
    void aTransactionThatThrowsLeavesNothingBehind() throws Exception {
        Seed seed = seed();
        UnitRecord unit = UnitRecord.open("u1", WorkUnit.Kind.EVALUATE, "tiny-lm", "d", seed.getCommit(), "",
                ByteString.EMPTY, 1);
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            assertThatThrownBy(() -> store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                tx.insertUnit(unit);
                throw Rejection.conflict("changed my mind");
            })).isInstanceOf(Rejection.class);
            Optional<Stored<Seed>> stored = store.inTransaction(tx -> tx.seed("tiny-lm"));
            List<UnitRecord> units = store.inTransaction(tx -> tx.units(Optional.empty()));
            List<SignedEnvelope> envelopes = store.inTransaction(Store.Transaction::auditTrail);
            assertThat(stored).isEmpty();
            assertThat(units).isEmpty();
            assertThat(envelopes).isEmpty();

            store.inTransaction(tx -> {
                tx.insertUnit(unit);
                return null;
            });
            List<UnitRecord> open = store.inTransaction(tx -> tx.units(Optional.of(UnitStatus.State.OPEN)));
            assertThat(open).containsExactly(unit);
        }
    }
}
