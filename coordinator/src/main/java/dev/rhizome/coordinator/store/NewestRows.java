package dev.rhizome.coordinator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;

/**
 * A direction's newest experiments and results, newest first, from before a sequence number
 * along the direction's index: {@code newest=N} and the dashboard read them in chunks, continuing
 * from the last one taken, so that a read that stops at its byte cap has read no more rows than it
 * shows (plus one chunk).
 */
final class NewestRows {
    private NewestRows() {
    }

    static List<Keyed<Long, Stored<Experiment>>> experiments(Queries q, String direction, long beforeSeq, int limit) {
        return q.list("SELECT x.envelope_seq, e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                        + "WHERE x.direction = ? AND x.envelope_seq < ? ORDER BY x.envelope_seq DESC LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), stored(envelope(rs.getBytes(2)))), direction, beforeSeq, limit);
    }

    static List<Keyed<Long, SignedEnvelope>> results(Queries q, String direction, long beforeSeq, int limit) {
        return q.list("SELECT r.envelope_seq, e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE r.direction = ? AND r.envelope_seq < ? ORDER BY r.envelope_seq DESC LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), envelope(rs.getBytes(2))), direction, beforeSeq, limit);
    }

    private static SignedEnvelope envelope(byte[] bytes) {
        try {
            return SignedEnvelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored envelope is corrupt: " + e.getMessage(), e);
        }
    }

    /** Records were verified before they were stored, so reading them back only parses. */
    private static Stored<Experiment> stored(SignedEnvelope envelope) {
        try {
            return new Stored<>(Experiment.parseFrom(envelope.getPayload()), envelope);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored experiment is corrupt: " + e.getMessage(), e);
        }
    }
}
