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
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
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

    /**
     * How long a command asks again a node that refuses ({@link ControlRefusal}: busy, or stopping)
     * before it gives up: a burst of commands clears in well under that, and a stop closes the socket
     * within its drain ({@link ControlServer#DRAIN}), after which the node is asked no more.
     */
    public static final Duration REFUSED_PATIENCE = Duration.ofSeconds(15);
    static final long FIRST_ASK_AGAIN_MS = 100;
    static final long MOST_ASK_AGAIN_MS = 2_000;

    /** A node that refused (busy or stopping) every time it was asked, until the bound. */
    public static final class StillRefusing extends IOException {
        private final ControlRefusal refusal;
        private final int asked;

        StillRefusing(Path socket, String request, ControlRefusal refusal, int asked, Duration bound) {
            super("the node at " + socket + " refused '" + request + "' " + asked + " times in " + bound.toSeconds()
                    + " s: " + refusal.error());
            this.refusal = refusal;
            this.asked = asked;
        }

        public ControlRefusal refusal() {
            return refusal;
        }

        public int asked() {
            return asked;
        }
    }

    /**
     * As {@link #request(Path, String)}, asking again a node that refuses (busy, or stopping) with a
     * backoff (0.1 s doubling to 2 s, each wait drawn from its upper half so that a burst of commands
     * does not come back together) until {@code bound}; then {@link StillRefusing}. A node that
     * stopped meanwhile is no longer there: that is thrown as {@link #request} throws it.
     */
    public static String requestAskingAgain(Path socket, String request, Duration bound) throws IOException {
        long deadline = System.nanoTime() + bound.toNanos();
        long backoffMs = FIRST_ASK_AGAIN_MS;
        for (int asked = 1; ; asked++) {
            String answer = request(socket, request);
            Optional<ControlRefusal> refused = ControlRefusal.of(answer);
            if (refused.isEmpty()) {
                return answer;
            }
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                throw new StillRefusing(socket, request, refused.get(), asked, bound);
            }
            long waitMs = Math.min(leftMs, backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1));
            try {
                Thread.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while asking the node again");
            }
            backoffMs = Math.min(MOST_ASK_AGAIN_MS, backoffMs * 2);
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
