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
 * A TCP proxy on loopback that can stop forwarding without closing anything, in both directions: to
 * each side the other is still connected and silent, as across a network partition (no reset, no
 * FIN reaches the far side). What was sent meanwhile waits in the proxy and goes on once it resumes.
 */
public final class StallingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String host;
    private final int port;
    private final Object gate = new Object();
    private boolean stalled;
    private final List<Socket> sockets = new ArrayList<>();

    public StallingProxy(String host, int port) throws IOException {
        this.host = host;
        this.port = port;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "stalling-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on nothing is forwarded, either way, and nothing is closed. */
    public void stall() {
        synchronized (gate) {
            stalled = true;
        }
    }

    /** Forwarding goes on, what waited first. */
    public void resume() {
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
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
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                return;  // closed
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    awaitForwarding();
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // either side closed, or the proxy did
            } finally {
                awaitQuietly();
                closeQuietly(to);
            }
        }, "stalling-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void awaitForwarding() throws InterruptedException {
        synchronized (gate) {
            while (stalled && !server.isClosed()) {
                gate.wait(1000);
            }
        }
    }

    /** A side that closed while stalled: its close, too, reaches the other side only once forwarding goes on. */
    private void awaitQuietly() {
        try {
            awaitForwarding();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        resume();
        synchronized (sockets) {
            sockets.forEach(StallingProxy::closeQuietly);
        }
    }
}
