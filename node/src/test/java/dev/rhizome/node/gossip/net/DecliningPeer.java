package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A node that announces, as soon as it links, commits it does not hold, and answers every bundle
 * request with INTERNAL ("my disk failed"), or another error code given (UNAVAILABLE: "busy"): a
 * decline, which costs a peer nothing, so the only defence is to stop asking. Written from the
 * schemas on plain sockets, one thread per connection.
 */
final class DecliningPeer extends SocketRogue {
    private final List<String> fakes;
    private final Error.Code answer;

    DecliningPeer(List<String> fakes) throws IOException {
        this(fakes, Error.Code.INTERNAL);
    }

    DecliningPeer(List<String> fakes, Error.Code answer) throws IOException {
        super("decliner");
        this.fakes = List.copyOf(fakes);
        this.answer = answer;
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        claimThenListen(in, out, fakes);
    }

    @Override
    void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) throws IOException {
        write(out, PeerMessage.newBuilder().setError(Error.newBuilder().setCode(answer)
                .setMessage(answer == Error.Code.UNAVAILABLE ? "busy" : "disk failed")).build());
    }
}
