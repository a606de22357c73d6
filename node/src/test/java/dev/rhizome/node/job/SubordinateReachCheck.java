package dev.rhizome.node.job;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node of an ordinary user with subordinate ids whose job's checkout lies under a directory of its own
 * that lets no other user pass (a temporary directory set under a 0700 one), run as a test-only user by
 * {@link SubordinateUidTest}: prints {@code REFUSED} and the launcher's message, or {@code STARTED} and
 * how the job ended with what it wrote.
 */
public final class SubordinateReachCheck {
    private SubordinateReachCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path closed = Files.createTempDirectory("subreach", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        System.out.println("CLOSED " + closed.toRealPath());
        try {
            Path checkout = Files.createDirectory(closed.resolve("checkout"));
            BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority().forSlot(0);
            System.out.println("LAUNCHER_SUBORDINATE " + launcher.subordinateUids());
            try {
                Process p = launcher.start(List.of("/bin/sh", "-c", "echo ran"),
                        new Confinement(checkout, List.of(checkout), List.of(), Map.of("PATH", "/usr/bin:/bin")),
                        Redirect.PIPE, Redirect.PIPE, Redirect.PIPE);
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes()) + new String(p.getErrorStream().readAllBytes());
                System.out.println("STARTED " + p.waitFor(2, TimeUnit.MINUTES) + " " + p.exitValue() + " "
                        + out.replace('\n', '|'));
            } catch (java.io.IOException e) {
                System.out.println("REFUSED " + e.getMessage());
            }
            launcher.releaseUid();
        } finally {
            JobDirs.deleteTree(closed);
        }
    }
}
