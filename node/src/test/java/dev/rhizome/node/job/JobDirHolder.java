package dev.rhizome.node.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A node's start as far as its job directory goes, in a JVM of its own ({@link JobDirsTest}): makes it as
 * {@code NodeDaemon} does from the data directory {@code args[0]}, leaves a checkout a job made awkward
 * (a deep tree, a directory of mode 000) in slot {@code cpu0}, says where, and waits to be killed.
 */
public final class JobDirHolder {
    private JobDirHolder() {
    }

    public static void main(String[] args) throws Exception {
        Path jobs = JobDirs.prepareForNode(Path.of(args[0]).resolve("jobs.name"));
        Path checkout = Files.createDirectories(jobs.resolve("cpu0").resolve(JobDirNames.forOneJob()));
        Path deep = Files.createDirectories(checkout.resolve("a/b/c/d"));
        Files.writeString(deep.resolve("weights.bin"), "left by a job whose node was killed");
        Files.setPosixFilePermissions(checkout.resolve("a"), PosixFilePermissions.fromString("---------"));
        System.out.println("JOBS " + jobs);
        System.out.flush();
        System.in.read(); // until the test kills this JVM
    }
}
