package dev.rhizome.node.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
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
