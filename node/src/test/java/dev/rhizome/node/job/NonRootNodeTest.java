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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node as volunteers run it, as an ordinary user: in a JVM of its own, as nobody when the tests
 * run as root (the development machine), else as the test's user. Root reads and deletes
 * anything, so what a job does to its own files' modes only shows here.
 */
class NonRootNodeTest {
    private static final int NOBODY = 65534;
    private Path copy;

    @AfterEach
    void cleanUp() throws IOException {
        if (copy != null) {
            JobDirs.deleteTree(copy);
        }
    }

    @Test
    void anOrdinaryUserIsNotTakenForRootAndAJobCannotHideFilesFromItOrKeepThem() throws Exception {
        String out = runCheck(UUID.randomUUID().toString().substring(0, 8));
        int uid = JobDirs.myUid() == 0 ? NOBODY : JobDirs.myUid();

        // The owner of /proc/self (a root-owned symlink) made every node think it was root.
        assertThat(out).contains("UID " + uid + "\n");
        assumeTrue(out.contains("SANDBOX true"), () -> "this machine cannot sandbox jobs as uid " + uid + ":\n" + out);
        assertThat(out).contains("JOB_UID OptionalInt.empty"); // only root gives its jobs uids of their own
        assertThat(out).contains("JOB_USER shared false FIX " + SandboxProbe.SHARED_UID_FIX);
        assertThat(out).contains("STATUS CRASH", "it hid part of its work directory", "LEFT false")
                .doesNotContain("DELETE_FAILED");
    }

    private String runCheck(String tag) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        if (JobDirs.myUid() == 0) {
            Path setpriv = SandboxProbe.onPath("setpriv").orElse(null);
            assumeTrue(setpriv != null, "setpriv runs the node as nobody");
            command.addAll(List.of(setpriv.toString(), "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--"));
            command.addAll(List.of(java, "-cp", readableClassPath()));
        } else {
            command.addAll(List.of(java, "-cp", System.getProperty("java.class.path")));
        }
        command.addAll(List.of("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                NonRootNodeCheck.class.getName(), tag));
        Process p = new ProcessBuilder(command).directory(new File("/")).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** The test's class path copied where nobody can read it (the build's may sit in root's home). */
    private String readableClassPath() throws IOException {
        copy = Files.createTempDirectory("nonroot-cp", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
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
