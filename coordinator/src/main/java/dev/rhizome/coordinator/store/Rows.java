package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The columns the JDBC transaction selects and how a row of them becomes a record, shared by the
 * classes that read each table. Records were verified before they were stored, so reading one
 * back only parses it; bytes that no longer parse are a {@link StoreException} naming the record.
 */
final class Rows {
    static final int OPEN = UnitStatus.State.OPEN_VALUE;
    static final int LEASED = UnitStatus.State.LEASED_VALUE;
    static final int EVALUATE = WorkUnit.Kind.EVALUATE_VALUE;
    static final int EXPLORE = WorkUnit.Kind.EXPLORE_VALUE;

    /** A unit's columns, in the order {@link #unit} reads them; {@code seq} may follow as the 14th. */
    static final String UNIT_COLUMNS = "id, kind, seed, direction, commit_id, parent, proposer, state, holder, "
            + "lease_deadline_ms, attempts, expired_leases, created_ms";
    /*
     * A small table's rows take their envelope's bytes through a correlated look-up by primary key,
     * not a join: PostgreSQL plans a join from table statistics, and a directions or seeds table
     * that barely changes is never re-analysed, so with the default guess of hundreds of rows it
     * hashed the whole envelopes table for each read (12 ms a read at 10,000 envelopes, on every
     * claim and result). A look-up per row is one index probe whatever the statistics say.
     */
    static final String DIRECTION_COLUMNS = "(SELECT e.bytes FROM envelopes e WHERE e.seq = d.envelope_seq), "
            + "d.frontier_commit, d.frontier_metric, d.frontier_class, d.baseline_metric";
    static final String SEED_BYTES = "(SELECT e.bytes FROM envelopes e WHERE e.seq = s.envelope_seq)";
    static final String REPUTATION_COLUMNS =
            "runner, valid_results, invalid_results, error_results, consecutive_valid, credit_ms, daily_quota";

    private Rows() {
    }

    /** {@code columns} (a list such as {@link #UNIT_COLUMNS}) each prefixed with a table's alias. */
    static String of(String alias, String columns) {
        return columns.replaceAll("(^|, )", "$1" + alias + ".");
    }

    static UnitRecord unit(ResultSet rs) throws SQLException {
        return new UnitRecord(rs.getString(1), WorkUnit.Kind.forNumber(rs.getInt(2)), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), ByteString.copyFrom(rs.getBytes(7)),
                UnitStatus.State.forNumber(rs.getInt(8)), ByteString.copyFrom(rs.getBytes(9)), rs.getLong(10),
                rs.getInt(11), rs.getInt(12), rs.getLong(13));
    }

    static DirectionRecord direction(ResultSet rs) throws SQLException {
        Direction d = stored(rs.getBytes(1), Direction.parser()).record();
        double frontierMetric = rs.getDouble(3);
        OptionalDouble metric = rs.wasNull() ? OptionalDouble.empty() : OptionalDouble.of(frontierMetric);
        Frontier frontier = new Frontier(rs.getString(2), metric, rs.getString(4));
        double baselineMetric = rs.getDouble(5);
        return new DirectionRecord(d, frontier, rs.wasNull() ? OptionalDouble.empty() : OptionalDouble.of(baselineMetric));
    }

    static Map.Entry<ByteString, Reputation> reputation(ResultSet rs) throws SQLException {
        return Map.entry(ByteString.copyFrom(rs.getBytes(1)), new Reputation(rs.getInt(2), rs.getInt(3), rs.getInt(4),
                rs.getInt(5), rs.getLong(6), rs.getInt(7)));
    }

    static SignedEnvelope envelope(byte[] bytes) {
        try {
            return SignedEnvelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored envelope is corrupt: " + e.getMessage(), e);
        }
    }

    static <T extends Message> Stored<T> stored(byte[] bytes, Parser<T> parser) {
        SignedEnvelope envelope = envelope(bytes);
        try {
            return new Stored<>(parser.parseFrom(envelope.getPayload()), envelope);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored " + envelope.getType() + " is corrupt: " + e.getMessage(), e);
        }
    }

    static Adoption adoption(byte[] bytes) {
        try {
            return Adoption.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored adoption is corrupt: " + e.getMessage(), e);
        }
    }
}
