package dev.rhizome.node.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends one request to a running node's control socket and returns its JSON answer, within a
 * deadline: a node stopped by SIGSTOP (or wedged) still has its socket accept (the kernel queues
 * the connection), and a read without one waited forever.
 */
public final class ControlClient {
    /** What a command waits for a node's answer: a status is milliseconds' work, even at load 30. */
    public static final Duration PATIENCE = Duration.ofSeconds(15);

    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "control-deadline");
        t.setDaemon(true);
        return t;
    });

    private ControlClient() {
    }

    /** A node that took the request but did not answer within the deadline. */
    public static final class NotAnswering extends IOException {
        private final Duration patience;

        NotAnswering(Path socket, String request, Duration patience) {
            super("the node at " + socket + " did not answer '" + request + "' within " + patience.toSeconds() + " s");
            this.patience = patience;
        }

        public Duration patience() {
            return patience;
        }
    }

    public static String request(Path socket, String request) throws IOException {
        return request(socket, request, PATIENCE);
    }

    public static String request(Path socket, String request, Duration patience) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("no node is running on this data directory (no " + socket + ")");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // closing the channel ends a blocked connect, write or read at once: the one deadline for all three
            AtomicBoolean expired = new AtomicBoolean();
            ScheduledFuture<?> deadline = DEADLINES.schedule(() -> {
                expired.set(true);
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closed already
                }
            }, patience.toMillis(), TimeUnit.MILLISECONDS);
            try {
                return exchange(channel, socket, request);
            } catch (AsynchronousCloseException e) {
                if (expired.get()) {
                    throw new NotAnswering(socket, request, patience);
                }
                throw e;
            } finally {
                deadline.cancel(false);
            }
        } catch (SocketException e) {
            throw new IOException("cannot reach the node at " + socket + ": " + e.getMessage()
                    + " (is it running, and are you its user?)", e);
        }
    }

    private static String exchange(SocketChannel channel, Path socket, String request) throws IOException {
        channel.connect(UnixDomainSocketAddress.of(socket));
        ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
        IOException unsent = null;
        try {
            while (out.hasRemaining()) {
                channel.write(out);
            }
        } catch (AsynchronousCloseException deadline) {
            throw deadline;
        } catch (IOException e) {
            // a node too busy to take the request answers and closes before reading it: its answer is still there
            unsent = e;
        }
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(8192);
        while (true) {
            int read;
            try {
                read = channel.read(in);
            } catch (AsynchronousCloseException deadline) {
                throw deadline;
            } catch (IOException e) {
                // a node that answered before reading all of the request closes with a reset after its answer
                if (answer.size() > 0 && answer.toString(StandardCharsets.UTF_8).endsWith("\n")) {
                    break;
                }
                throw e;
            }
            if (read < 0) {
                break;
            }
            answer.write(in.array(), 0, in.position());
            in.clear();
            if (answer.size() > (4 << 20)) {
                throw new IOException("the node's answer is too long");
            }
        }
        if (unsent != null && answer.size() == 0) {
            throw unsent;
        }
        return answer.toString(StandardCharsets.UTF_8).strip();
    }
}
