package dev.rhizome.node.peer;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kept prefixes of whole transfers that ended early, one per commit, each with its bytes (in
 * memory up to a piece, in a temporary file beyond: {@link ReceivedBytes}), so the next ask of any
 * holder of the same bundle resumes where the last one ended. Bounded: past {@link #MAX_KEPT}
 * commits, or {@link #MAX_BYTES} in all, the least recently kept is dropped, and its file with it,
 * so a rogue announcing many large commits costs this node at most that much disk. Thread-safe:
 * fetch workers take and put back concurrently.
 */
final class PartialBundles implements AutoCloseable {
    /** The gossip core's fetch slots, with room for as many waiting for their holder's next turn. */
    static final int MAX_KEPT = 8;
    /** Two bundles at the default size limit (64 MiB): what prefixes may hold on disk together. */
    static final long MAX_BYTES = 128L << 20;

    /** A prefix and its bytes, owned by whoever took it until put back or closed. */
    record Partial(KeptPrefix prefix, ReceivedBytes bytes) implements AutoCloseable {
        @Override
        public void close() {
            bytes.close();
        }
    }

    private final int max;
    private final long maxBytes;
    private final Map<String, Partial> kept = new LinkedHashMap<>();

    PartialBundles() {
        this(MAX_KEPT, MAX_BYTES);
    }

    PartialBundles(int max, long maxBytes) {
        this.max = max;
        this.maxBytes = maxBytes;
    }

    /** Takes the prefix kept for {@code commit}, if any: the caller owns it from now on. */
    synchronized Partial take(String commit) {
        return kept.remove(commit);
    }

    /** Keeps {@code partial} for {@code commit}, replacing (and closing) any kept before, and the oldest past the bound. */
    synchronized void put(String commit, Partial partial) {
        Partial old = kept.put(commit, partial);
        if (old != null && old != partial) {
            old.close();
        }
        for (Iterator<Partial> it = kept.values().iterator(); (kept.size() > max || bytes() > maxBytes) && it.hasNext(); ) {
            it.next().close();
            it.remove();
        }
    }

    /** Bytes held by the prefixes kept. */
    synchronized long bytes() {
        return kept.values().stream().mapToLong(p -> p.prefix().length()).sum();
    }

    synchronized int size() {
        return kept.size();
    }

    @Override
    public synchronized void close() {
        kept.values().forEach(Partial::close);
        kept.clear();
    }
}
