package dev.rhizome.node.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
    /** An unprivileged user that exists on Debian; setpriv needs no passwd entry for it anyway. */
    private static final String NOBODY = "65534";

    @TempDir
    Path dir;

    private final AtomicBoolean paused = new AtomicBoolean();
    private final ControlServer.Handler handler = new ControlServer.Handler() {
        @Override
        public Object status() {
            return Map.of("paused", paused.get(), "slots", List.of());
        }

        @Override
        public String node() {
            return "ab12";
        }

        @Override
        public Optional<String> pause() {
            paused.set(true);
            return Optional.empty();
        }

        @Override
        public Optional<String> resume() {
            paused.set(false);
            return Optional.of("the disk is read-only");
        }

        @Override
        public Object announce() {
            return Map.of("announced", true);
        }
    };

    @Test
    void statusPauseAndResumeOverTheSocket() throws Exception {
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), handler)) {
            assertThat(ControlClient.request(server.socket(), "pause"))
                    .isEqualTo("{\"node\":\"ab12\",\"paused\":true,\"kept\":true,\"problem\":null}");
            assertThat(paused).isTrue();
            assertThat(ControlClient.request(server.socket(), "status")).contains("\"paused\":true");
            // a resume the data directory could not keep: a restart would find the node paused again, and it says so
            assertThat(ControlClient.request(server.socket(), "resume"))
                    .isEqualTo("{\"node\":\"ab12\",\"paused\":false,\"kept\":false,\"problem\":\"the disk is read-only\"}");
            assertThat(paused).isFalse();
            assertThat(ControlClient.request(server.socket(), "announce")).isEqualTo("{\"announced\":true}");
            assertThat(ControlClient.request(server.socket(), "reboot")).contains("unknown request 'reboot'");
        }
        assertThat(dir.resolve("run/control.sock")).doesNotExist();
    }

    @Test
    void aRequestTheNodeFailsToAnswerIsAnsweredWithWhy() throws Exception {
        ControlServer.Handler failing = new ControlServer.Handler() {
            @Override
            public Object status() {
                throw new NoClassDefFoundError("dev/rhizome/Gone");
            }

            @Override
            public String node() {
                return "ab12";
            }

            @Override
            public Optional<String> pause() {
                throw new IllegalStateException("stopping");
            }

            @Override
            public Optional<String> resume() {
                return Optional.empty();
            }

            @Override
            public Object announce() {
                throw new IllegalStateException("stopping");
            }
        };
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), failing)) {
            assertThat(ControlClient.request(server.socket(), "status")).startsWith("{\"error\":")
                    .contains("failed to answer 'status'").contains("dev/rhizome/Gone");
            assertThat(ControlClient.request(server.socket(), "pause")).contains("failed to answer 'pause'")
                    .contains("stopping");
            // and it still serves the next request
            assertThat(ControlClient.request(server.socket(), "resume"))
                    .isEqualTo("{\"node\":\"ab12\",\"paused\":false,\"kept\":true,\"problem\":null}");
        }
    }

    @Test
    void onlyTheNodesUserMayEnterTheSocketsDirectoryOrOpenIt() throws Exception {
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), handler)) {
            assertThat(Files.getPosixFilePermissions(server.socket().getParent()))
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            assertThat(Files.getPosixFilePermissions(server.socket()))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void anotherUserCannotConnectNorControlTheNodeEvenWhenTheModesAreLoosened() throws Exception {
        assumeThat(System.getProperty("user.name")).as("switching to another user needs root; this run is not root")
                .isEqualTo("root");
        assumeThat(Path.of("/usr/bin/setpriv")).as("util-linux setpriv").exists();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), handler)) {
            String path = server.socket().toString();
            // The node's own user (root here) gets through: the probe itself works.
            assertThat(probe(path, null)).startsWith("ok ").contains("\"paused\":true");
            paused.set(false);

            String refused = probe(path, NOBODY);
            assertThat(refused).startsWith("refused ").contains("Permission denied");
            assertThat(paused).isFalse();

            // Loosen the modes as a careless admin might: the peer-credential check still says no.
            Files.setPosixFilePermissions(server.socket().getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(server.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
            String answer = probe(path, NOBODY);
            assertThat(answer).startsWith("ok ").contains("only root may control this node");
            assertThat(paused).isFalse();
        }
    }

    /** Answers as {@link #handler} does, but for what a test overrides: one request the node answers slowly. */
    private class LikeTheHandler implements ControlServer.Handler {
        @Override
        public Object status() {
            return handler.status();
        }

        @Override
        public String node() {
            return handler.node();
        }

        @Override
        public Optional<String> pause() {
            return handler.pause();
        }

        @Override
        public Optional<String> resume() {
            return handler.resume();
        }

        @Override
        public Object announce() {
            return handler.announce();
        }
    }

    /** A handler whose announce waits for {@code release}, counting those waiting: the coordinator answering slowly. */
    private ControlServer.Handler slowAnnounce(CountDownLatch release, AtomicInteger waiting) {
        return new LikeTheHandler() {
            @Override
            public Object announce() {
                waiting.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Map.of("announced", true);
            }
        };
    }

    /**
     * Saturates the socket: an announce from each of {@code clients} holds every place to answer,
     * waiting on {@link #slowAnnounce}; returns them once all are waiting.
     */
    private static List<CompletableFuture<String>> saturate(ControlServer server, AtomicInteger waiting,
            ExecutorService clients) {
        List<CompletableFuture<String>> announces = new ArrayList<>();
        for (int i = 0; i < ControlServer.AT_ONCE; i++) {
            announces.add(CompletableFuture.supplyAsync(() -> request(server.socket(), "announce"), clients));
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> waiting.get() == ControlServer.AT_ONCE);
        return announces;
    }

    @Test
    void aSlowAnnounceOrASilentClientHoldsNoOtherRequest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger waiting = new AtomicInteger();
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), slowAnnounce(release, waiting));
                SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            silent.connect(UnixDomainSocketAddress.of(server.socket()));  // connected, and says nothing
            CompletableFuture<String> announce = CompletableFuture.supplyAsync(() -> request(server.socket(), "announce"));
            await().atMost(Duration.ofMinutes(1)).until(() -> waiting.get() == 1);

            assertThat(request(server.socket(), "pause")).contains("\"paused\":true");
            assertThat(request(server.socket(), "status")).contains("\"paused\":true");
            assertThat(announce).as("answered while the announce still waits").isNotDone();

            release.countDown();
            assertThat(announce.get(1, TimeUnit.MINUTES)).isEqualTo("{\"announced\":true}");
        } finally {
            release.countDown();
        }
    }

    @Test
    void pastTheBoundARequestIsToldTheNodeIsBusyAndTheNextFindsRoom() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger waiting = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(ControlServer.AT_ONCE);
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), slowAnnounce(release, waiting))) {
            List<CompletableFuture<String>> announces = saturate(server, waiting, clients);

            String refused = request(server.socket(), "status");
            assertThat(refused).as("answered at once, saying why").isEqualTo("{\"error\":\"" + ControlServer.BUSY
                    + "\",\"code\":\"busy\"}");
            assertThat(ControlRefusal.of(refused)).contains(new ControlRefusal("busy", ControlServer.BUSY));
            assertThat(server.busyRefusals()).isEqualTo(1);

            release.countDown();
            for (CompletableFuture<String> a : announces) {
                assertThat(a.get(1, TimeUnit.MINUTES)).isEqualTo("{\"announced\":true}");
            }
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
                    assertThat(request(server.socket(), "status")).contains("\"slots\":[]"));
        } finally {
            release.countDown();
            clients.shutdown();
        }
    }

    /**
     * A saturated socket: a command that asks again finds room once a request ends; one that never
     * does gives up at its bound, saying the node stayed busy.
     */
    @Test
    void aRefusedRequestIsAskedAgainUntilItFindsRoomOrItsBound() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger waiting = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(ControlServer.AT_ONCE);
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), slowAnnounce(release, waiting))) {
            List<CompletableFuture<String>> announces = saturate(server, waiting, clients);

            ControlClient.StillRefusing gaveUp = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> ControlClient.requestAskingAgain(server.socket(), "status", Duration.ofMillis(300)),
                    ControlClient.StillRefusing.class);
            assertThat(gaveUp.refusal().code()).isEqualTo(ControlServer.BUSY_CODE);
            assertThat(gaveUp.asked()).as("asked again before giving up").isGreaterThan(1);
            assertThat(gaveUp).hasMessageContaining("refused 'status'").hasMessageContaining(ControlServer.BUSY);

            long refusedBefore = server.busyRefusals();
            CompletableFuture<String> status = CompletableFuture.supplyAsync(() -> {
                try {
                    return ControlClient.requestAskingAgain(server.socket(), "status", Duration.ofMinutes(2));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            await().atMost(Duration.ofMinutes(1)).until(() -> server.busyRefusals() > refusedBefore);
            assertThat(status).as("still asking: refused, not failed").isNotDone();
            release.countDown();
            assertThat(status.get(2, TimeUnit.MINUTES)).contains("\"slots\":[]");
            for (CompletableFuture<String> a : announces) {
                assertThat(a.get(1, TimeUnit.MINUTES)).isEqualTo("{\"announced\":true}");
            }
        } finally {
            release.countDown();
            clients.shutdown();
        }
    }

    /**
     * A close lets the request being answered finish (a pause the node took is answered, not cut),
     * tells a request that comes meanwhile that the node is stopping, and only then closes.
     */
    @Test
    void aCloseLetsARequestInProgressFinishAndTellsANewOneTheNodeIsStopping() throws Exception {
        CountDownLatch pausing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ControlServer.Handler slowPause = new LikeTheHandler() {
            @Override
            public Optional<String> pause() {
                pausing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted while pausing", e);
                }
                return handler.pause();
            }
        };
        ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), slowPause);
        CompletableFuture<Void> closed = null;
        try {
            CompletableFuture<String> pause = CompletableFuture.supplyAsync(() -> request(server.socket(), "pause"));
            assertThat(pausing.await(1, TimeUnit.MINUTES)).isTrue();
            closed = CompletableFuture.runAsync(server::close);

            // asked while the close waits for the pause: told, at once, in words and a code
            String told = await().atMost(Duration.ofMinutes(1)).until(() -> request(server.socket(), "status"),
                    answer -> ControlRefusal.of(answer).isPresent());
            assertThat(ControlRefusal.of(told)).contains(new ControlRefusal(ControlServer.STOPPING_CODE,
                    ControlServer.STOPPING));
            assertThat(closed).as("the close waits for the pause in progress").isNotDone();
            assertThat(Files.exists(server.socket())).isTrue();

            release.countDown();
            assertThat(pause.get(1, TimeUnit.MINUTES)).as("answered, not dropped")
                    .isEqualTo("{\"node\":\"ab12\",\"paused\":true,\"kept\":true,\"problem\":null}");
            closed.get(1, TimeUnit.MINUTES);
            assertThat(Files.exists(server.socket())).as("gone once closed").isFalse();
        } finally {
            release.countDown();
            server.close();
        }
    }

    @Test
    void aCloseWaitsNoLongerThanItsDrainForARequestThatDoesNotEnd() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger waiting = new AtomicInteger();
        ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), slowAnnounce(release, waiting));
        try {
            CompletableFuture<String> announce = CompletableFuture.supplyAsync(() -> {
                try {
                    return ControlClient.request(server.socket(), "announce", Duration.ofMinutes(1));
                } catch (Exception e) {
                    return "failed: " + e;
                }
            });
            await().atMost(Duration.ofMinutes(1)).until(() -> waiting.get() == 1);
            // the announce never ends by itself: the close cuts it at its drain rather than wait for it
            CompletableFuture.runAsync(server::close).get(1, TimeUnit.MINUTES);
            assertThat(Files.exists(server.socket())).isFalse();
            assertThat(announce.get(1, TimeUnit.MINUTES)).as("cut short: its client reads a close, no answer")
                    .doesNotContain("announced");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aClientThatSendsNothingIsDroppedAndTheSocketServesOn() throws Exception {
        try (ControlServer server = ControlServer.start(dir.resolve("run/control.sock"), handler);
                SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            silent.connect(UnixDomainSocketAddress.of(server.socket()));
            // dropped after READ_PATIENCE: the read sees the end, with no answer
            assertThat(silent.read(ByteBuffer.allocate(64))).isEqualTo(-1);
            assertThat(request(server.socket(), "status")).contains("\"slots\":[]");
        }
    }

    private static String request(Path socket, String request) {
        try {
            return ControlClient.request(socket, request, Duration.ofMinutes(1));
        } catch (Exception e) {
            throw new AssertionError(request + ": " + e, e);
        }
    }

    /** Connects as {@code uid} (null: as ourselves), sends "pause", and says what happened. */
    private String probe(String socket, String uid) throws Exception {
        String script = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX)
                try:
                    s.connect(sys.argv[1])
                except OSError as e:
                    print("refused", e.strerror); sys.exit(0)
                s.sendall(b"pause\\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                print("ok", data.decode().strip())
                """;
        List<String> command = uid == null ? List.of("/usr/bin/python3", "-c", script, socket)
                : List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                        "/usr/bin/python3", "-c", script, socket);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }
}
