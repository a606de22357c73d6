package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.RecordLimits;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import dev.rhizome.protocol.files.DurableFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file where a node keeps the peers it had links with (their signed NodeInfo, length-delimited),
 * so a restarted node can rejoin while the coordinator is down. Which peers, and when to write, the
 * core decides ({@link dev.rhizome.node.gossip.core.Effect.SavePeers}); this only reads and writes,
 * whole, to a temporary file renamed over the old one.
 */
final class KnownPeers {
    private static final Logger log = LoggerFactory.getLogger(KnownPeers.class);
    static final int MAX = 64;

    private final Path file;
    private final AtomicLong asked = new AtomicLong();
    private long written;  // the newest ticket on disk; guarded by this

    KnownPeers(Path file) {
        this.file = file;
    }

    /**
     * Reads the file; records that don't verify (a torn write, tampering) are skipped, and counted in
     * one line with the first one's reason: a line each let a file of many bad records flood the log.
     */
    synchronized List<NodeInfo> load() {
        List<NodeInfo> loaded = new ArrayList<>();
        int skipped = 0;
        String firstReason = null;
        try (InputStream in = Files.newInputStream(file)) {
            for (SignedEnvelope e = SignedEnvelope.parseDelimitedFrom(in); e != null && loaded.size() < MAX;
                 e = SignedEnvelope.parseDelimitedFrom(in)) {
                String refused = RecordLimits.nodeInfoTooLarge(e);
                if (refused == null) {
                    try {
                        loaded.add(Envelopes.openSignedBy(e, NodeInfo.getDefaultInstance(), NodeInfo::getNode).record());
                        continue;
                    } catch (SignatureException bad) {
                        refused = bad.getMessage();
                    }
                }
                skipped++;
                firstReason = firstReason == null ? refused : firstReason;
            }
        } catch (NoSuchFileException e) {
            return loaded;
        } catch (IOException e) {
            log.warn("cannot read remembered peers from {} (keeping {}): {}", file, loaded.size(), LogSafe.of(e.getMessage()));
        }
        if (skipped > 0) {
            log.warn("skipped {} remembered peer(s) in {} that do not verify; the first: {}", skipped, file, LogSafe.of(firstReason));
        }
        return loaded;
    }

    /**
     * Numbers a save in the order the core asked for it. Saves run on a pool, so two queued ones
     * may run on two threads; the ticket lets the older one see that the newer has landed.
     */
    long ticket() {
        return asked.incrementAndGet();
    }

    /** Replaces the file with {@code peers} now, as the newest save. */
    void save(List<SignedEnvelope> peers) {
        save(ticket(), peers);
    }

    /**
     * Replaces the file with {@code peers} (at most {@link #MAX}, the last ones), unless a save
     * with a later {@code ticket} has already been written: that set is the newer one.
     */
    synchronized void save(long ticket, List<SignedEnvelope> peers) {
        if (ticket < written) {
            return;
        }
        written = ticket;
        List<SignedEnvelope> kept = peers.subList(Math.max(0, peers.size() - MAX), peers.size());
        try {
            DurableFiles.replace(file, out -> {
                for (SignedEnvelope e : kept) {
                    e.writeDelimitedTo(out);
                }
            });
        } catch (IOException e) {
            log.warn("cannot remember peers in {}: {}", file, LogSafe.of(e.getMessage()));
        }
    }
}
