package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.RecordLimits;
import dev.rhizome.proto.v1.NodeInfo;
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

    KnownPeers(Path file) {
        this.file = file;
    }

    /** Reads the file; records that don't verify (a torn write, tampering) are skipped. */
    synchronized List<NodeInfo> load() {
        List<NodeInfo> loaded = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (SignedEnvelope e = SignedEnvelope.parseDelimitedFrom(in); e != null && loaded.size() < MAX;
                 e = SignedEnvelope.parseDelimitedFrom(in)) {
                String tooLarge = RecordLimits.nodeInfoTooLarge(e);
                if (tooLarge != null) {
                    log.warn("skipping a remembered peer in {}: {}", file, tooLarge);
                    continue;
                }
                try {
                    loaded.add(Envelopes.openSignedBy(e, NodeInfo.getDefaultInstance(), NodeInfo::getNode).record());
                } catch (SignatureException bad) {
                    log.warn("skipping a remembered peer in {}: {}", file, bad.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            return loaded;
        } catch (IOException e) {
            log.warn("cannot read remembered peers from {} (keeping {}): {}", file, loaded.size(), e.getMessage());
        }
        return loaded;
    }

    /** Replaces the file with {@code peers} (at most {@link #MAX}, the last ones). */
    synchronized void save(List<SignedEnvelope> peers) {
        List<SignedEnvelope> kept = peers.subList(Math.max(0, peers.size() - MAX), peers.size());
        try {
            DurableFiles.replace(file, out -> {
                for (SignedEnvelope e : kept) {
                    e.writeDelimitedTo(out);
                }
            });
        } catch (IOException e) {
            log.warn("cannot remember peers in {}: {}", file, e.getMessage());
        }
    }
}
