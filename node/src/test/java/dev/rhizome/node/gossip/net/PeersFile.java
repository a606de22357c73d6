package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.nio.file.Path;
import java.util.List;

/** The node's peers file ({@link KnownPeers}), for tests outside this package that write and read it as the node does. */
public final class PeersFile {
    private PeersFile() {
    }

    public static void save(Path file, List<SignedEnvelope> peers) {
        new KnownPeers(file).save(peers);
    }

    public static List<NodeInfo> load(Path file) {
        return new KnownPeers(file).load();
    }
}
