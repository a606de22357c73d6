package dev.rhizome.protocol.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses connections for as long as this is open: a socket bound there that
 * never listens, so no other server can bind the port meanwhile. A port merely found free (a server
 * socket opened and closed again) is anyone's: on a machine running other tests, another server may
 * take it before the test connects, and the refusal the test expects becomes a stranger's answer.
 */
public final class RefusedPort implements AutoCloseable {
    private final Socket socket = new Socket();

    public RefusedPort() throws IOException {
        socket.setReuseAddress(false);  // a server binding the port with SO_REUSEADDR must fail too
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** An HTTP URL on this port. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
