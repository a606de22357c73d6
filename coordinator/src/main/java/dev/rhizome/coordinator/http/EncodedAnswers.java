package dev.rhizome.coordinator.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.Message;

/**
 * The encodings of answers shared by instance ({@link Reply#shared}), kept while the instance is:
 * keyed by identity (Caffeine's weak keys), so an answer rebuilt is a new key and the old one's
 * bytes go with it. A direction's whole leaderboard of 3,000 entries was encoded as 0.9 MB of JSON
 * per ask, about 150-300 times a {@code /healthz}'s CPU (docs/performance.md); shared, a second
 * ask of the same board costs a look-up. Bounded by bytes held.
 */
final class EncodedAnswers {
    /** The coordinator's: 64 MiB of encodings at most. */
    static final EncodedAnswers SHARED = new EncodedAnswers(64L << 20);

    /** An answer's JSON and protobuf encodings, each null until first asked for. */
    private static final class Encodings {
        volatile byte[] json;
        volatile byte[] protobuf;

        int weight() {
            byte[] j = json;
            byte[] p = protobuf;
            return (j == null ? 0 : j.length) + (p == null ? 0 : p.length) + 64;
        }
    }

    private final Cache<Message, Encodings> kept;

    EncodedAnswers(long maxBytes) {
        kept = Caffeine.newBuilder().weakKeys().maximumWeight(maxBytes)
                .weigher((Message m, Encodings e) -> e.weight()).executor(Runnable::run).build();
    }

    /** {@code message} encoded as asked, encoded now only the first time for this instance and format. */
    byte[] encode(Message message, boolean protobuf) {
        Encodings e = kept.get(message, m -> new Encodings());
        byte[] bytes = protobuf ? e.protobuf : e.json;
        if (bytes == null) {
            bytes = BodyFormat.encode(message, protobuf);  // two racing askers may both encode: same bytes
            if (protobuf) {
                e.protobuf = bytes;
            } else {
                e.json = bytes;
            }
            kept.put(message, e);  // weighed again with its new bytes
        }
        return bytes;
    }
}
