package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A node that claims every bundle it hears of and never serves one: on a gossip link it re-announces,
 * signed by itself, each commit its neighbours announce; asked for a bundle, it says hello and then
 * nothing, holding the connection open. Plain sockets, one thread per connection.
 */
final class StallingPeer extends SocketRogue {
    private final List<DataOutputStream> links = new CopyOnWriteArrayList<>();
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();

    StallingPeer() throws IOException {
        super("staller");
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        links.add(out);
        for (PeerMessage m = read(in); m != null; m = read(in)) {
            if (m.hasGossip() && m.getGossip().hasAnnouncement()
                    && m.getGossip().getAnnouncement().getType().equals(Inventory.getDescriptor().getFullName())) {
                for (String commit : Inventory.parseFrom(m.getGossip().getAnnouncement().getPayload()).getCommitsList()) {
                    if (claimed.add(commit)) {
                        claimEverywhere(commit);
                    }
                }
            }
        }
    }

    @Override
    void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) throws IOException {
        while (in.read() >= 0) {
            // say nothing more, for as long as the client waits
        }
    }

    private void claimEverywhere(String commit) {
        PeerMessage claim = PeerMessage.newBuilder().setGossip(Gossip.newBuilder().setAnnouncement(
                HostileProtocols.inventory(identity, commit, System.currentTimeMillis()))).build();
        for (DataOutputStream link : links) {
            try {
                write(link, claim);
            } catch (IOException e) {
                links.remove(link);
            }
        }
    }
}
