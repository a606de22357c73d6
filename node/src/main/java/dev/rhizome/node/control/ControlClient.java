package dev.rhizome.node.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Sends one request to a running node's control socket and returns its JSON answer. */
public final class ControlClient {
    private ControlClient() {
    }

    public static String request(Path socket, String request) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("no node is running on this data directory (no " + socket + ")");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (channel.read(in) >= 0) {
                answer.write(in.array(), 0, in.position());
                in.clear();
                if (answer.size() > (4 << 20)) {
                    throw new IOException("the node's answer is too long");
                }
            }
            return answer.toString(StandardCharsets.UTF_8).strip();
        } catch (SocketException e) {
            throw new IOException("cannot reach the node at " + socket + ": " + e.getMessage()
                    + " (is it running, and are you its user?)", e);
        }
    }
}
