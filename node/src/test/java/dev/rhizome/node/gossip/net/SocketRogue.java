package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.RawWire;
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
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every rogue peer written from the schemas shares: a key, a loopback listener with one
 * thread per connection, the peer protocol's length-prefixed frames, and hellos that prove its key
 * like any node's, on a gossip link and on a fetch connection (the rogues' offences are elsewhere).
 * A connection whose first message carries node info is a gossip link; any other is a bundle request.
 */
abstract class SocketRogue implements AutoCloseable {
    final Identity identity = Identity.generate();
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger bundleRequests = new AtomicInteger();

    SocketRogue(String name) throws IOException {
        Thread acceptor = new Thread(() -> acceptLoop(name), name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** How many times an honest node asked it for a bundle. */
    int bundleRequests() {
        return bundleRequests.get();
    }

    NodeInfo info() {
        return NodeInfo.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1")
                .setPort(server.getLocalPort()).build();
    }

    /** A gossip link, after this rogue's proved hello went out. */
    abstract void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException;

    /** A link that claims {@code commits} in one signed Inventory as soon as it opens, then only reads. */
    final void claimThenListen(DataInputStream in, DataOutputStream out, List<String> commits) throws IOException {
        Inventory claims = Inventory.newBuilder()
                .setNode(identity.publicId().toByteString()).addAllCommits(commits)
                .setTimeMs(System.currentTimeMillis()).build();
        write(out, PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                .setAnnouncement(Envelopes.sign(identity, claims))).build());
        while (read(in) != null) {
            // reads the link and says nothing more
        }
    }

    /** A bundle request, already read and counted, after the fetch handshake. */
    abstract void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) throws IOException;

    private void acceptLoop(String name) {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                Thread t = new Thread(() -> handle(socket), name + "-conn");
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
            PeerMessage hello = read(in);
            if (hello == null) {
                return;
            }
            if (hello.getHello().hasNodeInfo()) {
                PeerMessage ours = PeerMessages.gossipHello(identity, Envelopes.sign(identity,
                        info().toBuilder().setTimeMs(System.currentTimeMillis()).build()));
                write(out, ours.toBuilder().setHello(ours.getHello().toBuilder()
                        .setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))
                        .setProof(ByteString.copyFrom(HandshakeProof.sign(identity, hello.getHello().getNonce().toByteArray(),
                                PublicId.of(hello.getHello().getNode()))))).build());
                onGossipLink(in, out);
            } else {
                RawWire.answerFetch(hello, in, out, identity);
                PeerMessage request = read(in);
                if (request == null) {
                    return;
                }
                bundleRequests.incrementAndGet();
                onBundleRequest(request, in, out);
            }
        } catch (IOException e) {
            // the honest side hung up or gave up on us
        }
    }

    /** One frame; whole, even when several threads write to one link. */
    static void write(OutputStream out, PeerMessage message) throws IOException {
        synchronized (out) {
            RawWire.write(out, message);
        }
    }

    static PeerMessage read(DataInputStream in) throws IOException {
        return RawWire.read(in);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
