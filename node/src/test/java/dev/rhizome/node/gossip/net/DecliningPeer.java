package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node that announces, as soon as it links, commits it does not hold, and answers every bundle
 * request with INTERNAL ("my disk failed"): a decline, which costs a peer nothing, so the only
 * defence is to stop asking. Written from the schemas on plain sockets, one thread per connection.
 */
final class DecliningPeer implements AutoCloseable {
    final Identity identity = Identity.generate();
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger bundleRequests = new AtomicInteger();
    private final List<String> fakes;

    DecliningPeer(List<String> fakes) throws IOException {
        this.fakes = List.copyOf(fakes);
        Thread acceptor = new Thread(this::acceptLoop, "decliner-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int bundleRequests() {
        return bundleRequests.get();
    }

    NodeInfo info() {
        return NodeInfo.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1")
                .setPort(server.getLocalPort()).build();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                Thread t = new Thread(() -> handle(socket), "decliner-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            PeerMessage hello = StallingPeer.read(in);
            if (hello == null) {
                return;
            }
            if (hello.getHello().hasNodeInfo()) {
                PeerMessage ours = PeerMessages.gossipHello(identity, Envelopes.sign(identity,
                        info().toBuilder().setTimeMs(System.currentTimeMillis()).build()));
                StallingPeer.write(out, ours.toBuilder().setHello(ours.getHello().toBuilder()
                        .setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))
                        .setProof(ByteString.copyFrom(HandshakeProof.sign(identity, hello.getHello().getNonce().toByteArray(),
                                PublicId.of(hello.getHello().getNode()))))).build());
                Inventory claims = Inventory.newBuilder().setNode(identity.publicId().toByteString()).addAllCommits(fakes)
                        .setTimeMs(System.currentTimeMillis()).build();
                StallingPeer.write(out, PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                        .setAnnouncement(Envelopes.sign(identity, claims))).build());
                while (StallingPeer.read(in) != null) {
                    // reads the link and says nothing more
                }
            } else {
                StallingPeer.read(in); // the bundle request
                bundleRequests.incrementAndGet();
                StallingPeer.write(out, PeerMessages.hello(identity));
                StallingPeer.write(out, PeerMessage.newBuilder().setError(Error.newBuilder().setCode(Error.Code.INTERNAL)
                        .setMessage("disk failed")).build());
            }
        } catch (IOException e) {
            // the honest side hung up
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
