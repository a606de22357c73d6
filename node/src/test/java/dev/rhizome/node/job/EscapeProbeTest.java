package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.io.File;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile job ({@code escape-probe.py}) tries the classic ways out of a Linux sandbox inside the
 * real one: file handles, keyrings, io_uring, eBPF, perf events, userfaultfd, other processes'
 * memory, new or other namespaces, mounts and chroot, kcmp, personality flags, the clock, reboot,
 * swap, kexec, modules, the kernel's settings, sysfs and cgroupfs, devices, the node's key by
 * every path and descriptor, other processes' command lines, the host's network, a terminal to
 * type into, privileges (and the prctl options that take them), core dumps, every limit the sandbox
 * sets raised back, bubblewrap's init signalled and paged out through a pidfd, a process meant
 * to outlive the job; since round 31 the node's processes traced and read by their host pids and the
 * job's own child traced; since round 32 a watch of the host's reads in a shared directory (dnotify); and the host's own
 * things the test sets out for it: a unix socket of an abstract name, a file in {@code /dev/shm}, a
 * key in the kernel's keyring of the job's uid, the node's processes to signal. Each route must be
 * tried and held; what the probe said of each is in the log.
 */
class EscapeProbeTest {
    /** The routes the probe tries, each of which must say HELD at least once. */
    private static final List<String> ROUTES = List.of("handles", "keyrings", "io_uring", "bpf", "perf_events",
            "userfaultfd", "devices", "ptrace", "pidfd", "namespaces", "mounts", "kcmp", "personality", "merging", "clock",
            "reboot", "swap", "kexec", "modules", "kernel log", "accounting", "root", "settings", "key", "processes",
            "network", "terminal", "notify", "privileges", "core dumps", "signals", "sockets", "descriptors", "environment",
            "scheduling", "limits", "init");

    @TempDir
    Path dataDir;

    private final String secret = "SECRET-" + UUID.randomUUID();

    @Test
    void aHostileJobFindsEveryClassicRouteOutHeld() throws Exception {
        Path key = Files.writeString(dataDir.resolve("identity.key"), secret);
        // Stands in for the node: its secret on its command line and in its environment.
        ProcessBuilder node = new ProcessBuilder("/bin/sh", "-c", "sleep 300", "node-" + secret);
        node.environment().put("RHIZOME_TOKEN", secret);
        Process fakeNode = node.start();
        String abstractName = "rhizome-probe-" + UUID.randomUUID();
        Path hostShm = Path.of("/dev/shm", abstractName);
        List<Process> host = new ArrayList<>();
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir); ServerSocket server = new ServerSocket(0, 50)) {
            Files.writeString(hostShm, secret);
            // The host's own: a unix socket of an abstract name in its network namespace, and a key in
            // the kernel's keyring of the uid the job runs as (kept a minute), whose description the
            // job must not list.
            host.add(hostPython(-1, "import socket, time\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0" + abstractName
                    + "')\ns.listen(5)\ntime.sleep(120)"));
            int jobUid = jobs.sandbox.plan().jobUid().orElse(JobDirs.myUid());
            host.add(hostPython(jobUid, "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.syscall.restype = ctypes.c_long\n"
                    + "k = libc.syscall(" + (isX86() ? 248 : 217) + ", b'user', b'" + abstractName
                    + "', b'payload', 7, ctypes.c_long(-4))\n"
                    + "libc.syscall(" + (isX86() ? 250 : 219) + ", 15, ctypes.c_long(k), 60)\nprint(k, flush=True)"));
            // The node's control socket, where a node keeps it (NodeLayout.controlSocket), listening.
            Path control = new dev.rhizome.node.NodeLayout(dataDir).controlSocket();
            Files.createDirectories(control.getParent());
            host.add(hostPython(-1, "import socket, time\ns = socket.socket(socket.AF_UNIX)\ns.bind('" + control
                    + "')\ns.listen(5)\ntime.sleep(120)"));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(Path.of("/proc/net/unix"))
                    .contains("@" + abstractName) && Files.exists(control));
            assertThat(host.get(1).waitFor()).isZero();
            JobOutcome outcome = jobs.runPython(probe(), Map.of("PROBE_KEY", key.toString(), "PROBE_DATA",
                    dataDir.toString(), "PROBE_PORT", Integer.toString(server.getLocalPort()), "PROBE_HOSTS",
                    hostAddresses(), "PROBE_TAG", jobs.tag, "PROBE_SHM", hostShm.getFileName().toString(),
                    "PROBE_ABSTRACT", abstractName, "PROBE_NODE_PIDS",
                    fakeNode.pid() + " " + ProcessHandle.current().pid()));

            String log = jobs.log();
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            assertThat(log).contains("ESCAPES 0").doesNotContain("ESCAPED", secret);
            for (String route : ROUTES) {
                assertThat(log).as(route).contains("HELD " + route + ": ");
            }
            assertThat(SandboxedJobs.accepted(server)).as("a connection from the job").isFalse();
            assertThat(fakeNode.isAlive()).as("the node, signalled from the job").isTrue();
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> SandboxedJobs.processesTagged("outlive-" + jobs.tag).isEmpty());
        } finally {
            fakeNode.destroyForcibly();
            host.forEach(Process::destroyForcibly);
            Files.deleteIfExists(hostShm);
        }
    }

    private static boolean isX86() {
        return System.getProperty("os.arch").equals("amd64");
    }

    /** {@code code} run by the host's python3, as {@code uid} when it is not -1 nor the test's own. */
    private static Process hostPython(int uid, String code) throws Exception {
        List<String> argv = new ArrayList<>();
        if (uid >= 0 && uid != JobDirs.myUid()) {
            argv.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        }
        argv.addAll(List.of("/usr/bin/python3", "-c", code));
        return new ProcessBuilder(argv).directory(new File("/")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static String probe() throws Exception {
        try (InputStream in = EscapeProbeTest.class.getResourceAsStream("escape-probe.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The host's own addresses but loopback and link-local ones, which the job tries to reach. */
    private static String hostAddresses() throws Exception {
        return NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .map(a -> a instanceof Inet4Address ? a.getHostAddress() : a.getHostAddress().split("%")[0])
                .collect(Collectors.joining(" "));
    }
}
