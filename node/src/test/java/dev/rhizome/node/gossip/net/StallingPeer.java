package dev.rhizome.node.gossip.net;

import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A node that claims every bundle it hears of and never serves one: on a gossip link it re-announces,
 * signed by itself, each commit its neighbours announce; asked for a bundle, it says hello and then
 * nothing, holding the connection open. Plain sockets, one thread per connection.
 */
final class StallingPeer implements AutoCloseable {
    final Identity identity = Identity.generate();
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<DataOutputStream> links = new CopyOnWriteArrayList<>();
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger bundleRequests = new java.util.concurrent.atomic.AtomicInteger();

    StallingPeer() throws IOException {
        Thread acceptor = new Thread(this::acceptLoop, "staller-accept");
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

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                Thread t = new Thread(() -> handle(socket), "staller-conn");
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
                // It proves its key like any node: the staller's offence is stalling, not forging.
                write(out, ours.toBuilder().setHello(ours.getHello().toBuilder()
                        .setNonce(com.google.protobuf.ByteString.copyFrom(HandshakeProof.newNonce()))
                        .setProof(com.google.protobuf.ByteString.copyFrom(HandshakeProof.sign(identity,
                                hello.getHello().getNonce().toByteArray(),
                                dev.rhizome.protocol.identity.PublicId.of(hello.getHello().getNode()))))).build());
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
            } else {
                read(in);  // the bundle request
                bundleRequests.incrementAndGet();
                write(out, PeerMessages.hello(identity));
                while (in.read() >= 0) {
                    // say nothing more, for as long as the client waits
                }
            }
        } catch (IOException e) {
            // the honest side gave up on us: that is the point
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

    static void write(OutputStream stream, PeerMessage message) throws IOException {
        DataOutputStream out = (DataOutputStream) stream;
        byte[] frame = message.toByteArray();
        synchronized (out) {
            out.writeInt(frame.length);
            out.write(frame);
            out.flush();
        }
    }

    static PeerMessage read(DataInputStream in) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return PeerMessage.parseFrom(frame);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
