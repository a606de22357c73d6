package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A node of an ordinary user with subordinate ids, as volunteers run it: a test-only user made with
 * {@code useradd} (which writes its range to {@code /etc/subuid} and {@code /etc/subgid}) and removed
 * with its lines afterwards, running {@link SubordinateUidCheck} in a JVM of its own. Its job runs in
 * bubblewrap as a subordinate uid: it cannot read the node's key nor signal the node or the
 * descriptor helper, and what it holds open (a deleted file, pipes) is still counted, through the
 * helper, where the node's own look at {@code /proc} is blind.
 */
class SubordinateUidTest {

    @Test
    void aJobOfASubordinateUidCannotReachTheNodeAndItsDescriptorsAreStillCounted() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "making a test user needs root (the tests run as root in CI)");
        for (String tool : List.of("useradd", "userdel", "setpriv", "newuidmap", "newgidmap", "nsenter", "unshare", "bwrap")) {
            assumeTrue(SandboxProbe.onPath(tool).isPresent() || Files.isExecutable(Path.of("/usr/sbin", tool)),
                    tool + " is not installed");
        }
        String name = "rzt" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Path classPath = null;
        try {
            run(List.of(sbin("useradd"), "-M", "-U", "-s", "/usr/sbin/nologin", name));
            if (!Files.readString(Path.of("/etc/subuid")).contains(name + ":")) {
                // useradd writes a range only where login.defs asks for one (SUB_UID_COUNT)
                run(List.of(sbin("usermod"), "--add-subuids", "300000-365535", "--add-subgids", "300000-365535", name));
            }
            classPath = Files.createTempDirectory("subuid-cp", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwxr-xr-x")));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(SandboxProbe.onPath("setpriv").orElseThrow().toString(),
                    "--reuid=" + name, "--regid=" + name, "--clear-groups", "--",
                    java, "-cp", readableCopy(classPath), "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                    SubordinateUidCheck.class.getName(), name));
            Process p = new ProcessBuilder(command).directory(new File("/")).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
            int nodeUid = Integer.parseInt(out.lines().filter(l -> l.startsWith("UID ")).findFirst().orElseThrow().substring(4));
            long first = Long.parseLong(Files.readString(Path.of("/etc/subuid")).lines()
                    .filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow().split(":")[1]);

            assertThat(out).as(out).containsPattern("FOREIGN_RANGE .*newuidmap .* failed \\(exit 1\\)")
                    .contains("WORK_OWNER " + first + "\n")
                    // the job runs on the host as the range's first uid (its namespace's id 1), not the node's
                    .contains("JOB_HOST_UIDS [" + first + "]\n", "JOB_INSIDE_UID 1\n")
                    .contains("Permission denied").doesNotContain("SECRET-KEY")
                    .contains("NODE_KILL_RC 1\n", "HELPER_KILL_RC 1\n")
                    // the node alone sees none of its descriptors, the helper sees them all
                    .contains("DIRECT_SEEN 0\n", "DIRECT_DELETED 0\n", "HELPER_DELETED " + (3 << 20) + "\n")
                    .contains("HELPER_PIPES_OVER_1 it held more than 1 pipes", "HELPER_PIPES_OVER_8 none\n")
                    .contains("BLIND_AFTER_HELPER_ENDS the node could not look at its descriptors")
                    .contains("JOB_DIR_MODE rwx--x--- GID_IS_NODES true\n", "TRAIN_WRITABLE 0\n")
                    // a crash's leftovers (a chmod 000 tree of the job's uid) are given back and removed at the next start
                    .contains("LEFT_OWNER " + first + "\n", "LEFTOVERS 0\n")
                    // a process of a job's uid beside the helper, in its PID namespace, may neither signal nor trace it
                    .contains("Operation not permitted", "SIGNAL_HELPER_RC 1\n", "HELPER_ENVIRON_RC 1\n")
                    .contains("JOB2_RC 0\n", "JOB2_OWNER " + (first + 1) + "\n", "GIVEN_BACK true true\n")
                    // the links to the node's key were changed as links, the key never
                    .contains("KEY_AFTER intact " + nodeUid + "\n", "KEY_OWNER_AFTER " + nodeUid + "\n");
            assertThat(nodeUid).isNotEqualTo((int) first);
        } finally {
            runQuietly(List.of(sbin("userdel"), name));
            dropLines(Path.of("/etc/subuid"), name);
            dropLines(Path.of("/etc/subgid"), name);
            if (classPath != null) {
                JobDirs.deleteTree(classPath);
            }
        }
    }

    /**
     * The launcher as a node of an ordinary user runs it: the job runs as the namespace's id 1 (the
     * range's first uid on the host, not the node's), cannot read the node's key or data directory,
     * lives through the runner's walks of its checkout with a 0700 directory in it (walked by the
     * helper), and its checkout is given back to the node once it ends and then deleted.
     */
    @Test
    void theLauncherRunsAJobAsASubordinateUidAndGivesItsCheckoutBack() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "making a test user needs root (the tests run as root in CI)");
        for (String tool : List.of("useradd", "userdel", "setpriv", "newuidmap", "newgidmap", "nsenter", "unshare", "bwrap")) {
            assumeTrue(SandboxProbe.onPath(tool).isPresent() || Files.isExecutable(Path.of("/usr/sbin", tool)),
                    tool + " is not installed");
        }
        String name = "rzt" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Path classPath = null;
        try {
            run(List.of(sbin("useradd"), "-M", "-U", "-s", "/usr/sbin/nologin", name));
            if (!Files.readString(Path.of("/etc/subuid")).contains(name + ":")) {
                run(List.of(sbin("usermod"), "--add-subuids", "300000-365535", "--add-subgids", "300000-365535", name));
            }
            classPath = Files.createTempDirectory("subuid-cp", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwxr-xr-x")));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(SandboxProbe.onPath("setpriv").orElseThrow().toString(),
                    "--reuid=" + name, "--regid=" + name, "--clear-groups", "--",
                    java, "-cp", readableCopy(classPath), "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                    SubordinateLauncherCheck.class.getName(), name));
            ProcessBuilder builder = new ProcessBuilder(command).directory(new File("/")).redirectErrorStream(true);
            builder.environment().remove("XDG_RUNTIME_DIR"); // root's: the test user's leases go to the temporary directory
            Process p = builder.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
            int nodeUid = Integer.parseInt(out.lines().filter(l -> l.startsWith("UID ")).findFirst().orElseThrow().substring(4));
            long first = Long.parseLong(Files.readString(Path.of("/etc/subuid")).lines()
                    .filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow().split(":")[1]);

            assertThat(out).as(out).contains("REPORT_OWN true JOB_UID own\n", "JOB_USER true own: ", "LAUNCHER_SUBORDINATE true\n")
                    .contains("STATUS OK EXIT 0\n")
                    .contains("JOB_HOST_UID " + first + "\n", "JOB_INSIDE_UID 1 GID 0\n")
                    .containsPattern("KEY_RC 1 KEY_OUT .*Permission denied").doesNotContain("SECRET-KEY")
                    .containsPattern("DATA_RC [12] DATA_OUT .*Permission denied").doesNotContain("NODE-DATA")
                    .contains("SECOND_DONE true 0\n", "GIVEN_BACK true\n", "GIVEN_BACK_AGAIN true\n", "DELETED true\n");
            assertThat(nodeUid).isNotEqualTo((int) first);
        } finally {
            runQuietly(List.of(sbin("userdel"), name));
            dropLines(Path.of("/etc/subuid"), name);
            dropLines(Path.of("/etc/subgid"), name);
            if (classPath != null) {
                JobDirs.deleteTree(classPath);
            }
        }
    }

    private static String sbin(String tool) {
        return SandboxProbe.onPath(tool).map(Path::toString).orElse("/usr/sbin/" + tool);
    }

    /** userdel removes a user's ranges on recent shadow only. */
    private static void dropLines(Path file, String name) throws IOException {
        List<String> kept = Files.readAllLines(file).stream().filter(l -> !l.startsWith(name + ":")).toList();
        Files.write(file, kept);
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(command + ": " + out).isZero();
    }

    private static void runQuietly(List<String> command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).start().waitFor();
        } catch (Exception e) {
            // best effort: the lines are dropped below anyway
        }
    }

    /** The test's class path copied into {@code copy}, readable by any user (the build's may sit in root's home). */
    static String readableCopy(Path copy) throws IOException {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = copy.resolve(i++ + (Files.isDirectory(from) ? "" : ".jar"));
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : files.toList()) {
                    Path target = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, Files.isDirectory(from) ? target : to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            entries.add(to.toString());
        }
        try (Stream<Path> all = Files.walk(copy)) {
            for (Path f : all.toList()) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
