package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.proto.v1.ResultVerdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Rows written under schema version 7 are still there, and still read and written through the
 * store, after migration 8 rebuilt their tables (result states, units' random seeds, reputations).
 * Shared by the SQLite and PostgreSQL store tests.
 */
final class MigrationCarryOver {
    private static final ByteString RUNNER = ByteString.copyFromUtf8("runner-from-v7");

    private MigrationCarryOver() {
    }

    /** Brings an empty database to version 7 and writes a row in each rebuilt table. */
    static void writeVersion7(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 7)).isEqualTo(7);
        try (PreparedStatement states = c.prepareStatement("INSERT INTO result_states (envelope_id, state) VALUES (?, ?)");
                PreparedStatement seeds = c.prepareStatement("INSERT INTO unit_seeds (unit_id, random_seed) VALUES (?, ?)");
                PreparedStatement reputations = c.prepareStatement("INSERT INTO reputations (runner, valid_results, "
                        + "invalid_results, error_results, consecutive_valid, credit_ms, daily_quota) "
                        + "VALUES (?, 5, 1, 2, 3, 4000, 250)")) {
            states.setString(1, "e1");
            states.setInt(2, ResultVerdict.State.VALID_VALUE);
            states.executeUpdate();
            seeds.setString(1, "u1");
            seeds.setLong(2, -42L);
            seeds.executeUpdate();
            reputations.setBytes(1, RUNNER.toByteArray());
            reputations.executeUpdate();
        }
        c.commit();
    }

    /**
     * Brings an empty database to version 15 (the last before the kept counts) and writes
     * envelopes, nodes and units with expired leases straight into their tables.
     */
    static void writeVersion15(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 15)).isEqualTo(15);
        try (PreparedStatement envelopes = c.prepareStatement(
                        "INSERT INTO envelopes (id, type, bytes, received_ms) VALUES (?, 'seed', ?, 1)");
                PreparedStatement nodes = c.prepareStatement("INSERT INTO nodes (node, host, port, hardware_class, "
                        + "last_seen_ms) VALUES (?, 'h', 7000, 'cpu', 1)");
                PreparedStatement units = c.prepareStatement("INSERT INTO units (id, kind, seed, direction, commit_id, "
                        + "parent, proposer, state, holder, lease_deadline_ms, attempts, expired_leases, created_ms) "
                        + "VALUES (?, 1, 's', 'd', 'c', '', ?, 1, ?, 0, 0, ?, 1)")) {
            for (int i = 0; i < 3; i++) {
                envelopes.setString(1, "e" + i);
                envelopes.setBytes(2, new byte[] {(byte) i});
                envelopes.executeUpdate();
            }
            for (int i = 0; i < 2; i++) {
                nodes.setBytes(1, new byte[] {(byte) i});
                nodes.executeUpdate();
            }
            for (int i = 0; i < 4; i++) {
                units.setString(1, "u" + i);
                units.setBytes(2, new byte[0]);
                units.setBytes(3, new byte[0]);
                units.setInt(4, i);
                units.executeUpdate();
            }
        }
        c.commit();
    }

    /** The counts of what {@link #writeVersion15} wrote, kept from the migration on. */
    static void checkCountsStartFromTheRowsThere(Store store) {
        store.inReadTransaction(tx -> {
            assertThat(tx.auditCount()).isEqualTo(3);
            assertThat(tx.standing()).isEqualTo(new HistoryCounts.Standing(2, 0 + 1 + 2 + 3));
            return null;
        });
    }

    /**
     * Brings an empty database to version 16 (the last before the kept totals) and writes seeds,
     * directions, experiments and results on two directions, papers and units straight into their tables.
     */
    static void writeVersion16(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 16)).isEqualTo(16);
        try (PreparedStatement envelopes = c.prepareStatement(
                        "INSERT INTO envelopes (id, type, bytes, received_ms) VALUES (?, 'x', ?, 1)");
                Statement s = c.createStatement()) {
            for (int i = 1; i <= 12; i++) {
                envelopes.setString(1, "e" + i);
                envelopes.setBytes(2, new byte[] {(byte) i});
                envelopes.executeUpdate();
            }
            long first;
            try (ResultSet rs = s.executeQuery("SELECT MIN(seq) FROM envelopes")) {
                rs.next();
                first = rs.getLong(1);
            }
            s.execute("INSERT INTO seeds (name, commit_id, envelope_seq) VALUES ('s', 'c0', " + first + ")");
            s.execute("INSERT INTO directions (name, seed, base_commit, envelope_seq, frontier_commit) "
                    + "VALUES ('d', 's', 'c0', " + (first + 1) + ", 'c0'), ('e', 's', 'c0', " + (first + 2) + ", 'c0')");
            s.execute("INSERT INTO experiments (commit_id, seed, direction, envelope_seq) VALUES ('c1', 's', 'd', "
                    + (first + 3) + "), ('c2', 's', 'd', " + (first + 4) + "), ('c3', 's', 'e', " + (first + 5) + ")");
            for (int i = 0; i < 4; i++) {
                s.execute("INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner) VALUES ("
                        + (first + 6 + i) + ", 'u', '" + (i < 3 ? "d" : "e") + "', 'c1', 'r')");
            }
            s.execute("INSERT INTO papers (envelope_seq, direction) VALUES (" + (first + 10) + ", 'd')");
            s.execute("INSERT INTO units (id, kind, seed, direction, commit_id, parent, proposer, state, holder, "
                    + "lease_deadline_ms, attempts, expired_leases, created_ms) "
                    + "VALUES ('u', 1, 's', 'd', 'c1', '', 'p', 1, 'h', 0, 0, 0, 1)");
        }
        c.commit();
    }

    /** The totals of what {@link #writeVersion16} wrote, kept from the migration on. */
    static void checkTotalsStartFromTheRowsThere(Store store) {
        store.inReadTransaction(tx -> {
            assertThat(tx.historyTotals()).isEqualTo(new HistoryCounts.Totals(1, 2, 3, 4, 1, 1));
            assertThat(tx.directionCounts(List.of("d", "e"))).containsExactly(
                    Map.entry("d", new HistoryCounts.OfDirection(2, 3)), Map.entry("e", new HistoryCounts.OfDirection(1, 1)));
            return null;
        });
    }

    /** What {@link #writeVersion7} wrote, read and rewritten through a store opened at the newest version. */
    static void checkCarriedOver(Store store) {
        Reputation expected = new Reputation(5, 1, 2, 3, 4000, 250);
        store.inTransaction(tx -> {
            assertThat(tx.resultState("e1")).contains(ResultVerdict.State.VALID);
            assertThat(tx.unitRandomSeed("u1")).isEqualTo(OptionalLong.of(-42L));
            assertThat(tx.reputation(RUNNER)).isEqualTo(Optional.of(expected));
            tx.setResultState("e1", ResultVerdict.State.INVALID);
            tx.saveReputation(RUNNER, expected.onValid(100));
            return null;
        });
        store.inTransaction(tx -> {
            assertThat(tx.resultState("e1")).contains(ResultVerdict.State.INVALID);
            assertThat(tx.reputations()).extracting(Map.Entry::getKey).containsExactly(RUNNER);
            assertThat(tx.reputation(RUNNER)).contains(expected.onValid(100));
            return null;
        });
    }

    /** The runner and proposer {@link #writeVersion30} wrote rows for, and the networks they were sent from. */
    static final ByteString RUNNER_30 = ByteString.copyFromUtf8("runner-from-v30");
    static final ByteString PROPOSER_30 = ByteString.copyFromUtf8("proposer-from-v30");
    static final String REPORTED_FROM = "198.51.100.0/24";
    static final String REGISTERED_FROM = "5.6.7.0/24";

    /**
     * Brings an empty database to version 30 (the last before the networks' times) and writes an
     * experiment registered from {@link #REGISTERED_FROM}, received at 3,000 ms, and a result
     * sent from {@link #REPORTED_FROM}, received at 4,000 ms, straight into their tables.
     */
    static void writeVersion30(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 30)).isEqualTo(30);
        try (PreparedStatement envelopes = c.prepareStatement(
                        "INSERT INTO envelopes (id, type, bytes, received_ms) VALUES (?, 'x', ?, ?) RETURNING seq");
                PreparedStatement experiment = c.prepareStatement("INSERT INTO experiments (commit_id, seed, "
                        + "direction, envelope_seq, proposer, network) VALUES ('c1', 's', 'd', ?, ?, ?)");
                PreparedStatement result = c.prepareStatement("INSERT INTO results (envelope_seq, unit_id, direction, "
                        + "commit_id, runner, network) VALUES (?, 'u1', 'd', 'c1', ?, ?)")) {
            experiment.setLong(1, envelope(envelopes, "x1", 3_000));
            experiment.setBytes(2, PROPOSER_30.toByteArray());
            experiment.setString(3, REGISTERED_FROM);
            experiment.executeUpdate();
            result.setLong(1, envelope(envelopes, "x2", 4_000));
            result.setBytes(2, RUNNER_30.toByteArray());
            result.setString(3, REPORTED_FROM);
            result.executeUpdate();
        }
        c.commit();
    }

    private static long envelope(PreparedStatement insert, String id, long receivedMs) throws Exception {
        insert.setString(1, id);
        insert.setBytes(2, id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        insert.setLong(3, receivedMs);
        try (ResultSet rs = insert.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * The rows {@link #writeVersion30} wrote count for a spot check from their envelope's receipt
     * on, as a row written since: within the window the keys announcing from their networks are
     * left out, past it they are drawn again.
     */
    static void checkNetworksCountFromTheirReceipt(Store store) {
        ByteString whereReported = ByteString.copyFromUtf8("announces-where-the-runner-reported");
        ByteString whereRegistered = ByteString.copyFromUtf8("announces-where-the-proposer-registered");
        store.inTransaction(tx -> {
            for (var node : List.of(Map.entry(whereReported, REPORTED_FROM), Map.entry(whereRegistered, REGISTERED_FROM))) {
                tx.announce(dev.rhizome.proto.v1.NodeAnnouncement.newBuilder().setNode(node.getKey())
                        .setHost(node.getValue() + ".example").setPort(7000).setHardwareClass("cpu").setTimeMs(9_000)
                        .build(), node.getValue(), 9_000);
                tx.saveReputation(node.getKey(), Reputation.fresh().onValid(1_000));
            }
            return null;
        });
        List<ByteString> excluded = List.of(RUNNER_30, PROPOSER_30);
        store.inReadTransaction(tx -> {
            assertThat(tx.spotCheckCandidates(excluded, 8_000, 3_000, 64)).isEmpty();
            assertThat(tx.spotCheckCandidates(excluded, 8_000, 3_001, 64))
                    .extracting(dev.rhizome.coordinator.core.SpotChecks.Candidate::key).containsExactly(whereRegistered);
            assertThat(tx.spotCheckCandidates(excluded, 8_000, 4_001, 64))
                    .extracting(dev.rhizome.coordinator.core.SpotChecks.Candidate::key)
                    .containsExactlyInAnyOrder(whereRegistered, whereReported);
            return null;
        });
    }

    /** The key {@link #writeBeforeReservationDeadlines} reserved its unit for, until {@link #RESERVED_UNTIL}. */
    static final ByteString RESERVED_FOR = ByteString.copyFromUtf8("key-a-spot-check-chose");
    static final long RESERVED_UNTIL = 5_000;

    /**
     * Brings an empty database to the version before the reservation deadline on units' rows
     * (migration 33) and writes two open evaluations, "r1" reserved for
     * {@link #RESERVED_FOR} until {@link #RESERVED_UNTIL} (and once, earlier, until 3,000) and
     * "r2" reserved for nobody, straight into their tables.
     */
    static void writeBeforeReservationDeadlines(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        int before = 32;
        assertThat(SqliteSchema.migrate(c, dialect, before)).isEqualTo(before);
        try (PreparedStatement units = c.prepareStatement("INSERT INTO units (id, kind, seed, direction, commit_id, "
                        + "parent, proposer, state, holder, lease_deadline_ms, attempts, expired_leases, created_ms) "
                        + "VALUES (?, " + dev.rhizome.proto.v1.WorkUnit.Kind.EVALUATE_VALUE + ", 'tiny-lm', 'd', ?, '', ?, "
                        + dev.rhizome.proto.v1.UnitStatus.State.OPEN_VALUE + ", ?, 0, 0, 0, ?)");
                PreparedStatement reservations = c.prepareStatement(
                        "INSERT INTO unit_reservations (unit_id, node, until_ms) VALUES ('r1', ?, ?)")) {
            for (int i = 1; i <= 2; i++) {
                units.setString(1, "r" + i);
                units.setString(2, "commit-" + i);
                units.setBytes(3, new byte[0]);
                units.setBytes(4, new byte[0]);
                units.setInt(5, i);
                units.executeUpdate();
            }
            reservations.setBytes(1, ByteString.copyFromUtf8("another-key-chosen-earlier").toByteArray());
            reservations.setLong(2, 3_000);
            reservations.executeUpdate();
            reservations.setBytes(1, RESERVED_FOR.toByteArray());
            reservations.setLong(2, RESERVED_UNTIL);
            reservations.executeUpdate();
        }
        c.commit();
    }

    /**
     * A reservation made before the deadline was kept on the unit's row still holds the unit for
     * its key until its deadline, for a store's own claims and for a second coordinator's (whose
     * page tells a reserved unit by that deadline).
     */
    static void checkReservationsStillHold(Store store, Store second) {
        ByteString other = ByteString.copyFromUtf8("a-key-nobody-chose");
        for (Store s : List.of(store, second)) {
            assertThat(s.inTransaction((Store.Transaction tx) -> tx.openEvaluationsFor(other, RESERVED_UNTIL, 0, 10)))
                    .extracting(dev.rhizome.coordinator.core.UnitRecord::id).as("reserved for another key").containsExactly("r2");
            assertThat(s.inTransaction((Store.Transaction tx) -> tx.openEvaluationsFor(RESERVED_FOR, RESERVED_UNTIL, 0, 10)))
                    .extracting(dev.rhizome.coordinator.core.UnitRecord::id).containsExactly("r1", "r2");
            assertThat(s.inTransaction((Store.Transaction tx) -> tx.openEvaluationsFor(other, RESERVED_UNTIL + 1, 0, 10)))
                    .extracting(dev.rhizome.coordinator.core.UnitRecord::id).as("past its deadline")
                    .containsExactly("r1", "r2");
        }
    }

    /**
     * Brings an empty database to the version before leases kept their class (migration 34) and
     * writes a lease of unit "c1" to {@link #RESERVED_FOR}, straight into its table.
     */
    static void writeBeforeLeaseClasses(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 33)).isEqualTo(33);
        try (PreparedStatement lease = c.prepareStatement(
                "INSERT INTO unit_leases (unit_id, holder, leased_ms) VALUES ('c1', ?, 10)")) {
            lease.setBytes(1, RESERVED_FOR.toByteArray());
            lease.executeUpdate();
        }
        c.commit();
    }

    /**
     * A lease made before the migration is still its holder's (its result is taken), with no class
     * kept: its result is bound by the seed's class alone; a lease made after keeps its claim's.
     */
    static void checkLeasesBeforeKeepNoClass(Store store) {
        assertThat(store.inTransaction((Store.Transaction tx) -> tx.leaseClass("c1", RESERVED_FOR))).contains("");
        assertThat(store.inTransaction((Store.Transaction tx) -> tx.leaseClass("c1", ByteString.copyFromUtf8("other"))))
                .isEmpty();
        store.inTransaction((Store.Transaction tx) -> {
            tx.recordLease("c1", RESERVED_FOR, 20, ByteString.EMPTY, Long.MIN_VALUE, "", "", "cpu:x86_64");
            return null;
        });
        assertThat(store.inTransaction((Store.Transaction tx) -> tx.leaseClass("c1", RESERVED_FOR)))
                .as("the newest lease's class").contains("cpu:x86_64");
    }
}
