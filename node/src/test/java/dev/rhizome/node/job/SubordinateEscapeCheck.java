package dev.rhizome.node.job;

import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A node of an ordinary user whose jobs run as subordinate uids (job_uid {@code own}), run by
 * {@link SubordinateEscapeTest} as a test-only user: slot 1 runs a job holding a secret, then slot 0
 * runs {@code subordinate-escape-probe.py}, a hostile job, through the node's own launcher, shown the
 * volunteer's home (key, data directory, a file of the user's group, the runtime directory with the
 * id leases) read-only so that uid and gid are tried, not only the mounts. Prints one
 * {@code KEY value} line per finding, and the probe's log as {@code PROBE| } lines.
 *
 * <p>Arguments: the user's name, and its {@code $XDG_RUNTIME_DIR} (the test made it, 0700).
 */
public final class SubordinateEscapeCheck {
    /**
     * Slot 1's job: its secret in its checkout (and on its command line, and in its environment), and
     * what the node's rules count held: five file locks, five pending real-time signals, 100 kB queued
     * on a loopback TCP connection, then {@code ready}.
     */
    private static final String SLOT1_JOB = """
            import fcntl, os, signal, socket, sys, time
            open('secret', 'w').write(sys.argv[1] + '\\n')
            f = open('lockfile', 'w')
            for i in range(5):
                fcntl.lockf(f, fcntl.LOCK_EX, 1, 2 * i)
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN])
            for i in range(5):
                os.kill(os.getpid(), signal.SIGRTMIN)
            srv = socket.socket()
            srv.bind(('127.0.0.1', 0))
            srv.listen(1)
            c = socket.create_connection(srv.getsockname())
            a, _ = srv.accept()
            c.sendall(b'x' * 100000)
            open('ready', 'w').close()
            time.sleep(600)
            """;

    private SubordinateEscapeCheck() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        Path runtime = Path.of(args[1]);
        int uid = JobDirs.myUid();
        String secret = "SLOT1-SECRET-" + UUID.randomUUID();
        System.out.println("UID " + uid);
        // The volunteer's home as many are: others may pass it (0751), not list it; the group may list it.
        Path home = Files.createTempDirectory("subesc-home", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-x--x")));
        Path key = Files.writeString(home.resolve("node.key"), "SECRET-KEY");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path data = Files.createDirectory(home.resolve("data"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.writeString(data.resolve("state"), "NODE-DATA");
        Path groupFile = Files.writeString(home.resolve("notes.txt"), "GROUP-SECRET");
        Files.setPosixFilePermissions(groupFile, PosixFilePermissions.fromString("rw-r-----"));
        Process listener = null;
        Process other = null;
        BwrapLauncher slot0 = null;
        BwrapLauncher slot1 = null;
        Path jobDir = null;
        try (ServerSocket server = new ServerSocket(0, 50)) {
            SandboxReport report = SandboxProbe.probe();
            System.out.println("REPORT_OWN " + report.subordinateUids());
            BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
            slot0 = launcher.forSlot(0);
            slot1 = launcher.forSlot(1);
            SubordinateJobs jobs = launcher.subordinateJobs().orElseThrow();
            long helper = jobs.fds().pid();
            // The helper's own pipes, which no job may hold.
            List<String> helperPipes = new ArrayList<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc/" + helper + "/fd"))) {
                for (Path fd : fds.toList()) {
                    helperPipes.add(Files.readSymbolicLink(fd).toString());
                }
            }
            System.out.println("HELPER_PIPES " + helperPipes.stream().filter(l -> l.startsWith("pipe:")).sorted()
                    .collect(Collectors.joining(" ")));
            String abstractName = "rhizome-subesc-" + UUID.randomUUID();
            listener = new ProcessBuilder("/usr/bin/python3", "-c", "import socket, time\ns = socket.socket(socket.AF_UNIX)\n"
                    + "s.bind('\\0" + abstractName + "')\ns.listen(5)\ntime.sleep(300)").redirectErrorStream(true)
                    .redirectOutput(Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!Files.readString(Path.of("/proc/net/unix")).contains("@" + abstractName) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }

            jobDir = slot0.prepareJobDir("subesc-" + name);
            Path c0 = Files.createDirectories(jobDir.resolve("s0").resolve("checkout"));
            Path c1 = Files.createDirectories(jobDir.resolve("s1").resolve("checkout"));
            // Slot 1's job: its secret in its checkout, on its command line and in its environment.
            other = slot1.start(List.of("/usr/bin/python3", "-c", SLOT1_JOB, secret),
                    new Confinement(c1, List.of(c1), List.of(JobRunner.javaHome()),
                            Map.of("PATH", "/usr/bin:/bin", "SLOT1_TOKEN", secret)),
                    Redirect.PIPE, Redirect.DISCARD, Redirect.DISCARD);
            other.getOutputStream().close();
            deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (!Files.exists(c1.resolve("ready"), LinkOption.NOFOLLOW_LINKS) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            List<Long> otherPids = other.descendants().map(ProcessHandle::pid).toList();
            System.out.println("OTHER_PIDS " + otherPids);
            // The node's rules read a subordinate uid's job in /proc by hand, not through the helper: each
            // sees what slot 1's job holds (limits below it), none is blind to another uid's processes.
            List<ProcessHandle> alive = new ArrayList<>(List.of(other.toHandle()));
            other.descendants().forEach(alive::add);
            Path proc = Path.of("/proc");
            System.out.println("RULE_LOCKS " + new FileLocks(proc.resolve("locks"), 4).check(alive).orElse("none"));
            System.out.println("RULE_SIGNALS " + new PendingSignals(proc, 4).check(alive).orElse("none"));
            System.out.println("RULE_SOCKETS " + new SocketBuffers(proc, 1000).check(alive).orElse("none"));
            System.out.println("RULE_MEMORY " + new JobMemory(proc, 1L << 20).check(alive).orElse("none"));
            System.out.println("RULE_MAPPINGS " + new MemoryMappings(proc, 10).check(alive).orElse("none"));
            StringBuilder targets = new StringBuilder(ProcessHandle.current().pid() + " " + helper);
            otherPids.forEach(p -> targets.append(' ').append(p));
            try (InputStream in = SubordinateEscapeCheck.class.getResourceAsStream("subordinate-escape-probe.py")) {
                Files.write(c0.resolve("probe.py"), in.readAllBytes());
            }
            Path log = home.resolve("probe.log");
            Process probe = slot0.start(List.of("/usr/bin/python3", "probe.py"),
                    new Confinement(c0, List.of(c0), List.of(JobRunner.javaHome(), home, runtime), Map.ofEntries(
                            Map.entry("PATH", "/usr/bin:/bin"), Map.entry("PROBE_KEY", key.toString()),
                            Map.entry("PROBE_DATA", data.toString()), Map.entry("PROBE_HOME", home.toString()),
                            Map.entry("PROBE_GROUP_FILE", groupFile.toString()), Map.entry("PROBE_RUNTIME", runtime.toString()),
                            Map.entry("PROBE_NODE_UID", Integer.toString(uid)), Map.entry("PROBE_OTHER", c1.toString()),
                            Map.entry("PROBE_SECRET", java.util.HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8))), Map.entry("PROBE_TARGETS", targets.toString()),
                            Map.entry("PROBE_ABSTRACT", abstractName), Map.entry("PROBE_HOSTS", hostAddresses()),
                            Map.entry("PROBE_PORT", Integer.toString(server.getLocalPort())))),
                    Redirect.PIPE, Redirect.appendTo(log.toFile()), Redirect.appendTo(log.toFile()));
            probe.getOutputStream().close();
            System.out.println("PROBE_DONE " + probe.waitFor(4, TimeUnit.MINUTES) + " " + probe.exitValue());
            Files.readString(log).lines().forEach(l -> System.out.println("PROBE| " + l));
            // Nothing the probe did reached the node's: its other job, its helper, its key, its port.
            System.out.println("OTHER_ALIVE " + other.isAlive());
            System.out.println("HELPER_ANSWERS " + (jobs.fds().look(List.of(), 1, 0).blind() == null));
            System.out.println("KEY_AFTER " + Files.readString(key) + " " + Files.getAttribute(key, "unix:uid"));
            server.setSoTimeout(1);
            boolean accepted;
            try (Socket s = server.accept()) {
                accepted = true;
            } catch (java.net.SocketTimeoutException e) {
                accepted = false;
            }
            System.out.println("ACCEPTED " + accepted);
            // As the runner stops a job: every process of the tree, of a subordinate uid, signalled by the node.
            List<ProcessHandle> tree = new ArrayList<>(List.of(other.toHandle()));
            other.descendants().forEach(tree::add);
            new ProcessTree(other).kill();
            other.waitFor(1, TimeUnit.MINUTES); // gives slot 1's checkout back
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (tree.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            for (ProcessHandle h : tree) {
                System.out.println("TREE_PROCESS " + h.pid() + " alive " + h.isAlive() + " "
                        + stateOf(h.pid()));
            }
            System.out.println("TREE_KILLED " + tree.size() + " " + tree.stream().noneMatch(ProcessHandle::isAlive));
            try (Stream<Path> all = Files.walk(jobDir)) {
                System.out.println("GIVEN_BACK " + all.allMatch(f -> ownerOf(f) == uid));
            }
        } finally {
            if (listener != null) {
                listener.destroyForcibly();
            }
            if (other != null) {
                other.destroyForcibly();
                other.waitFor(1, TimeUnit.MINUTES);
            }
            if (slot0 != null) {
                slot0.releaseUid();
                slot1.releaseUid();
            }
            if (jobDir != null) {
                JobDirs.deleteTree(jobDir);
            }
            JobDirs.deleteTree(home);
        }
    }

    private static String stateOf(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/status")).lines()
                    .filter(l -> l.startsWith("State:") || l.startsWith("Uid:") || l.startsWith("Name:"))
                    .collect(Collectors.joining(" ")).replace('\t', ' ');
        } catch (Exception e) {
            return "gone";
        }
    }

    private static int ownerOf(Path f) {
        try {
            return (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (Exception e) {
            return -1;
        }
    }

    private static String hostAddresses() throws Exception {
        return NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .map(a -> a instanceof Inet4Address ? a.getHostAddress() : a.getHostAddress().split("%")[0])
                .collect(Collectors.joining(" "));
    }
}
