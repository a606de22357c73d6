package dev.rhizome.node.control;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running node's local control channel: a Unix domain socket in a directory only the node's
 * user may enter (0700, the socket itself 0600), so nobody else can even connect; and every
 * connection's peer credentials (SO_PEERCRED) are checked against the node's user anyway, in
 * case the directory's mode was loosened. root is let in too, since root could read the node's
 * memory regardless. One request line ({@code status}, {@code pause}, {@code resume} or
 * {@code announce}), one JSON line back.
 *
 * <p>Requests are answered independently, each on a thread of its own: an {@code announce} waits
 * on the coordinator for seconds, and answered one at a time it held every {@code status} and
 * {@code pause} behind it, as did a client that connected and sent nothing. A request not sent
 * within {@link #READ_PATIENCE} is dropped, and at most {@link #AT_ONCE} are answered at once;
 * past that a request is answered at once with an error saying so (a retry finds room), so no
 * number of slow or silent clients holds the node's own commands for long.
 *
 * <p>Closing is graceful ({@link #close}): requests being answered finish, within {@link #DRAIN};
 * one that comes meanwhile is answered at once that the node is stopping; then the socket closes.
 * Closed at once, a {@code node pause} sent as the node stopped read a dropped connection and could
 * not tell whether the pause was taken. A refusal answers {@code error} (words) and {@code code}
 * ({@code busy} or {@code stopping}) so a client can tell one it should ask again.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    public static final Gson JSON = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).serializeNulls().disableHtmlEscaping().create();
    private static final int MAX_REQUEST = 256;
    /** Requests answered at once: a handful of commands is the most a volunteer runs; more is a runaway script. */
    public static final int AT_ONCE = 16;
    /** How long a connection has to send its request line: a command sends it at once. */
    static final Duration READ_PATIENCE = Duration.ofSeconds(5);
    /**
     * How long a close waits for the requests being answered: a status or pause takes milliseconds,
     * an announce is bounded by its own wait on the coordinator; a stop is not held longer for them.
     */
    static final Duration DRAIN = Duration.ofSeconds(5);

    /** What the node does for each request. */
    public interface Handler {
        Object status();

        /** The node's key (hex), named in every answer as `status` names it: pause and resume said only "paused". */
        String node();

        /** Pauses the node; returns why the pause will not outlast a restart, or empty when it is kept. */
        Optional<String> pause();

        /** Resumes the node; returns why a restart would find it paused again, or empty. */
        Optional<String> resume();

        /**
         * Announces the node to its coordinator now, as its heartbeat does, for a command that just
         * added commits to its repository: what it announced and whether the coordinator took it.
         */
        Object announce();
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final UserPrincipal self;
    private final Thread thread;
    private final Semaphore room = new Semaphore(AT_ONCE);
    private final ExecutorService answering = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "control-request");
        t.setDaemon(true);
        return t;
    });
    /** Drops a connection that has not sent its request in time: closing it ends the blocked read. */
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "control-deadline");
        t.setDaemon(true);
        return t;
    });
    /** Set as a close begins: new requests are answered {@link #STOPPING}, those being answered finish. */
    private volatile boolean closing;
    private final AtomicLong busyRefusals = new AtomicLong();
    private volatile boolean closed;

    private ControlServer(Path socket, ServerSocketChannel server, Handler handler, UserPrincipal self) {
        this.socket = socket;
        this.server = server;
        this.handler = handler;
        this.self = self;
        this.thread = new Thread(this::serve, "control");
        this.thread.setDaemon(true);
    }

    /** Binds {@code socket}, replacing a stale one from a node that died, and starts serving. */
    public static ControlServer start(Path socket, Handler handler) throws IOException {
        Path dir = socket.getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        UserPrincipal self = FileSystems.getDefault().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
        ControlServer control = new ControlServer(socket, server, handler, self);
        control.thread.start();
        log.info("control socket {}", socket);
        return control;
    }

    public Path socket() {
        return socket;
    }

    /** Requests refused so far for want of room ({@link #BUSY}), each counted before it is answered. */
    public long busyRefusals() {
        return busyRefusals.get();
    }

    private void serve() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    log.warn("control socket: {}", e.toString());
                }
                continue;
            }
            if (closing) {
                refuse(client, STOPPING_CODE, STOPPING);
                continue;
            }
            if (!room.tryAcquire()) {
                busyRefusals.incrementAndGet();  // counted before the client can read its refusal
                refuse(client, BUSY_CODE, BUSY);
                log.warn("control socket: {} requests being answered already; one more refused", AT_ONCE);
                continue;
            }
            try {
                answering.execute(() -> {
                    try {
                        serveOne(client);
                    } finally {
                        room.release();
                    }
                });
            } catch (RejectedExecutionException stopping) {
                room.release();
                refuse(client, STOPPING_CODE, STOPPING);
            }
        }
    }

    private void serveOne(SocketChannel client) {
        ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(client), READ_PATIENCE.toMillis(),
                TimeUnit.MILLISECONDS);
        try (client) {
            handle(client, deadline);
        } catch (IOException | RuntimeException | Error e) {  // one bad request must not end the control socket
            if (!closed) {
                log.warn("control connection: {}", e.toString());
            }
        } finally {
            deadline.cancel(false);
        }
    }

    /**
     * Past {@link #AT_ONCE}, or while closing: answered on the accepting thread without waiting for
     * the request (what the client already sent is read, so it reads the answer rather than a reset),
     * never blocking it.
     */
    private static void refuse(SocketChannel client, String code, String why) {
        try (client) {
            client.configureBlocking(false);
            client.read(ByteBuffer.allocate(MAX_REQUEST));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("error", why);
            answer.put("code", code);
            // a few hundred bytes into an empty socket buffer: a non-blocking write takes them whole
            client.write(ByteBuffer.wrap((JSON.toJson(answer) + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            log.debug("refusing a control connection", e);
        }
    }

    public static final String BUSY = "busy: " + AT_ONCE + " control requests are being answered already; try again in a few seconds";
    /** The {@code code} of a refusal for want of room: asked again, it finds some. */
    public static final String BUSY_CODE = "busy";
    public static final String STOPPING = "stopping: the node is stopping and takes no new requests";
    /** The {@code code} of a refusal while the node stops: once stopped, its data directory is free. */
    public static final String STOPPING_CODE = "stopping";

    private static void closeQuietly(SocketChannel client) {
        try {
            client.close();
        } catch (IOException e) {
            // closed already
        }
    }

    private void handle(SocketChannel client, ScheduledFuture<?> deadline) throws IOException {
        // The request is read before the refusal is sent, so a refused client reads why instead of a reset.
        String request;
        try {
            request = readLine(client);
        } catch (ClosedChannelException silent) {
            log.info("control socket: dropped a connection that sent no request within {} s", READ_PATIENCE.toSeconds());
            return;
        }
        if (!deadline.cancel(false)) {
            return;  // closed for silence: nobody to answer
        }
        UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
        if (!peer.user().equals(self) && !peer.user().getName().equals("root")) {
            log.warn("control socket: refused {} (only {} may control this node)", peer.user().getName(), self.getName());
            reply(client, Map.of("error", "only " + self.getName() + " may control this node"));
            return;
        }
        Object answer;
        try {
            answer = answer(request, peer.user().getName());
        } catch (RuntimeException | Error e) {
            // the client read an empty answer and failed on it ("Not a JSON Object: null"): it reads why instead
            log.warn("control request '{}' failed: {}", request, e.toString());
            answer = Map.of("error", "the node failed to answer '" + request + "': " + e);
        }
        reply(client, answer);
    }

    private Object answer(String request, String user) {
        return switch (request) {
            case "status" -> handler.status();
            case "pause" -> {
                Optional<String> unkept = handler.pause();
                log.info("paused by {}: running jobs finish, no new ones start{}", user,
                        unkept.map(why -> "; NOT kept across a restart: " + why).orElse(" (kept across restarts)"));
                yield paused(true, unkept);
            }
            case "resume" -> {
                Optional<String> unkept = handler.resume();
                log.info("resumed by {}{}", user, unkept.map(why -> "; a restart would pause it again: " + why).orElse(""));
                yield paused(false, unkept);
            }
            case "announce" -> handler.announce();
            default -> Map.of("error", "unknown request '" + request + "': status, pause, resume or announce");
        };
    }

    /**
     * {@code kept}: whether a restart of the node finds it as this answer says (the pause written to,
     * or the resume removed from, its data directory); {@code problem}: why not, else null.
     */
    private Map<String, Object> paused(boolean paused, Optional<String> unkept) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("node", handler.node());
        answer.put("paused", paused);
        answer.put("kept", unkept.isEmpty());
        answer.put("problem", unkept.orElse(null));
        return answer;
    }

    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST);
        while (buffer.hasRemaining()) {
            if (client.read(buffer) < 0) {
                break;
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            int newline = text.indexOf('\n');
            if (newline >= 0) {
                return text.substring(0, newline).strip();
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
    }

    private static void reply(SocketChannel client, Object body) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((JSON.toJson(body) + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            client.write(out);
        }
    }

    /**
     * Stops taking requests: those being answered finish (at most {@link #DRAIN}; any still going
     * then are interrupted and their clients read a close), new ones are answered {@link #STOPPING}
     * meanwhile, then the socket closes and its file goes.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        answering.shutdown();
        try {
            if (!answering.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("control socket: requests still being answered {} s into the stop are cut short", DRAIN.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        answering.shutdownNow();
        deadlines.shutdownNow();
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.debug("closing the control socket", e);
        }
    }
}
