package dev.rhizome.node;

import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback address that takes every connection and never says a word (no hello, no answer): the
 * holder a rogue's hints name, a coordinator that hangs. It holds what it took open until closed,
 * so a dialler meets silence rather than a close, and counts the connections it took.
 */
public final class SilentAddress implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    public SilentAddress() throws IOException {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    held.add(server.accept());
                    accepted.incrementAndGet();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "silent-address");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The connections taken so far. */
    public int accepted() {
        return accepted.get();
    }

    /** A fresh key naming this address, as a rogue's hints do. */
    public PeerEndpoint hint() {
        return PeerEndpoint.newBuilder().setNode(Identity.generate().publicId().toByteString()).setHost("127.0.0.1")
                .setPort(port()).build();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : held) {
            s.close();
        }
    }
}
