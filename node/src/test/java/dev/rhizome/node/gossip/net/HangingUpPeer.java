package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A node that announces, as soon as it links, commits it does not hold, and answers each bundle
 * request by hanging up: its address takes the connection and proves its key in the hello, then
 * closes before a byte of any bundle. Written from the schemas on plain sockets.
 */
final class HangingUpPeer extends SocketRogue {
    private final List<String> fakes;

    HangingUpPeer(List<String> fakes) throws IOException {
        super("hanger");
        this.fakes = List.copyOf(fakes);
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        claimThenListen(in, out, fakes);
    }

    @Override
    void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) {
        // says nothing: the connection closes as this returns
    }
}
