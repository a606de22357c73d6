package dev.rhizome.coordinator.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on loopback that relays each connection to one server, a thread per direction, and
 * lets a test decide what happens to each read on its way: forward it, hold it, or end there. The
 * tests' proxies (a network partition, a client killed at a chosen request) differ only in that.
 */
public final class LoopbackProxy implements AutoCloseable {
    /** One direction of one connection. */
    public interface Direction {
        /**
         * Called with each read ({@code n} bytes of {@code buf}) before it is forwarded; false ends
         * this direction without forwarding it. May block: nothing more is read meanwhile.
         */
        boolean forward(byte[] buf, int n) throws IOException, InterruptedException;

        /** This direction ended (either side closed, or {@link #forward} said so), before its far side is closed. */
        default void ended() {
        }
    }

    /** What to do with a connection's two directions, decided when it is accepted. */
    public record Directions(Direction toServer, Direction toClient) {
    }

    /** Chooses the directions of each connection accepted, given both its sockets (to close them early). */
    @FunctionalInterface
    public interface Connections {
        Directions accepted(Socket client, Socket upstream);
    }

    private final ServerSocket server;
    private final String host;
    private final int port;
    private final String name;
    private final Connections connections;
    private final List<Socket> sockets = new ArrayList<>();

    public LoopbackProxy(String name, String host, int port, Connections connections) throws IOException {
        this.name = name;
        this.host = host;
        this.port = port;
        this.connections = connections;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, name);
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(host, port);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                Directions directions = connections.accepted(client, upstream);
                pump(client, upstream, directions.toServer());
                pump(upstream, client, directions.toClient());
            } catch (IOException e) {
                return;  // closed
            }
        }
    }

    private void pump(Socket from, Socket to, Direction direction) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0 && direction.forward(buf, n)) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // either side closed, or the proxy did
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                direction.ended();
                closeQuietly(to);
            }
        }, name + "-pump");
        t.setDaemon(true);
        t.start();
    }

    public static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Stops accepting and closes every connection. */
    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            sockets.forEach(LoopbackProxy::closeQuietly);
        }
    }
}
