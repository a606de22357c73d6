package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A real maker on loopback, under the wants filter, and a rogue written from the schemas that
 * fetches the maker's commit under another node's id. The fetch hello's id was unsigned, so the
 * rogue took the whole bundle and the maker counted that node a keeper of a copy it never had; now
 * the hello must be proved by a signature over a nonce the maker made for the connection, the
 * forgery is refused saying so, its address closed for a while, and the node it named never counted.
 */
class ForgedFetchHelloLoopbackTest extends LoopbackTest {
    @Test
    void aRogueFetchingUnderAnotherNodesIdIsRefusedAndThatNodeIsNeverCountedAKeeper() throws Exception {
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), Identity.generate(), Wants.workAndReplicas(1), null, true);
        String commit = maker.commitAndAnnounce("kept");
        Identity victim = Identity.generate();
        Identity rogue = Identity.generate();
        PeerMessage request = PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit(commit)).build();

        try (Socket s = connect("127.0.0.2", maker)) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            RawWire.write(out, PeerMessages.hello(victim, HandshakeProof.newNonce()));
            PeerMessage makers = RawWire.read(in);
            // The rogue can sign the maker's nonce with its own key only; it asks at once, as honest fetchers do.
            RawWire.write(out, PeerMessages.helloProof(rogue, makers.getHello().getNonce(), maker.id()));
            RawWire.write(out, request);

            PeerMessage answer = RawWire.read(in);
            assertThat(answer.getError().getCode()).isEqualTo(Error.Code.BAD_SIGNATURE);
            assertThat(answer.getError().getMessage()).contains("no valid proof of the key of node " + victim.publicId().shortForm());
            assertThat(readUntilClosed(in)).as("nothing of the bundle was sent").isZero();
        }
        // Its address is closed for a while, as one whose peer the gossip core cut: a forger in a loop
        // costs the maker one verification per span, not one per connection.
        try (Socket again = connect("127.0.0.2", maker)) {
            assertThat(readUntilClosed(again.getInputStream())).isZero();
        }

        // A fetcher proving its own key is served whole and counted, and the victim still is not.
        try (Socket s = connect("127.0.0.3", maker)) {
            InputStream in = s.getInputStream();
            assertThat(RawWire.openFetch(in, s.getOutputStream(), rogue).hasHelloProof()).isTrue();
            RawWire.write(s.getOutputStream(), request);
            for (PeerMessage m = RawWire.read(in); !m.hasBundleEnd(); m = RawWire.read(in)) {
                assertThat(m.hasError()).as("%s", m).isFalse();
            }
        }
        GossipServiceTest.await(() -> maker.keepersOf(commit).contains(rogue.publicId()), Duration.ofSeconds(60));
        assertThat(maker.keepersOf(commit)).doesNotContain(victim.publicId());
    }

    private static Socket connect(String from, LoopbackNet.Started to) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", to.gossip().port()));
        s.setSoTimeout(10_000);
        return s;
    }

    /** Messages read until the other side closed (a reset counts as closed). */
    private static int readUntilClosed(InputStream in) throws IOException {
        int read = 0;
        try {
            while (RawWire.read(in) != null) {
                read++;
            }
        } catch (SocketException reset) {
            // closed by the other side
        }
        return read;
    }
}
