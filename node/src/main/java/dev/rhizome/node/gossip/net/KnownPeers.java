package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers this node has had links with, remembered in its data directory (their signed
 * NodeInfo, length-delimited), so a restarted node can rejoin while the coordinator is down.
 * Bounded: the most recently connected are kept. Written whole to a temporary file and renamed.
 */
final class KnownPeers {
    private static final Logger log = LoggerFactory.getLogger(KnownPeers.class);
    static final int MAX = 64;

    private final Path file;
    private final Map<PublicId, SignedEnvelope> peers = new LinkedHashMap<>(16, 0.75f, true);
    private boolean dirty;

    KnownPeers(Path file) {
        this.file = file;
    }

    /** Reads the file; records that don't verify (a torn write, tampering) are skipped. */
    synchronized List<NodeInfo> load() {
        List<NodeInfo> loaded = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (SignedEnvelope e = SignedEnvelope.parseDelimitedFrom(in); e != null; e = SignedEnvelope.parseDelimitedFrom(in)) {
                try {
                    NodeInfo info = Envelopes.openSignedBy(e, NodeInfo.getDefaultInstance(), NodeInfo::getNode).record();
                    put(PublicId.of(info.getNode()), e);
                    loaded.add(info);
                } catch (SignatureException bad) {
                    log.warn("skipping a remembered peer in {}: {}", file, bad.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            return loaded;
        } catch (IOException e) {
            log.warn("cannot read remembered peers from {} (keeping {}): {}", file, loaded.size(), e.getMessage());
        }
        dirty = false;
        return loaded;
    }

    synchronized void remember(PublicId peer, SignedEnvelope nodeInfo) {
        put(peer, nodeInfo);
        dirty = true;
    }

    private void put(PublicId peer, SignedEnvelope nodeInfo) {
        peers.put(peer, nodeInfo);
        while (peers.size() > MAX) {
            peers.remove(peers.keySet().iterator().next());
        }
    }

    /** Writes the table if it changed since the last save. */
    synchronized void save() {
        if (!dirty) {
            return;
        }
        try {
            Path temp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try (OutputStream out = Files.newOutputStream(temp)) {
                for (SignedEnvelope e : peers.values()) {
                    e.writeDelimitedTo(out);
                }
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            dirty = false;
        } catch (IOException e) {
            log.warn("cannot remember peers in {}: {}", file, e.getMessage());
        }
    }
}
