package dev.rhizome.node.job;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A node of an ordinary user running a job as the runner does, through the real launcher with its
 * jobs' namespace ({@link SubordinateJobs}, {@link BwrapLauncher#withSubordinateUids}), run in its own
 * JVM as a test-only user by {@link SubordinateUidTest}. Prints one {@code KEY value} line per finding.
 * The job makes a 0700 directory (as Python's {@code tempfile.mkdtemp} does) and lives through
 * several of the runner's walks of its checkout, tries the node's key, and reports its ids.
 */
public final class SubordinateLauncherCheck {
    private SubordinateLauncherCheck() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        int uid = JobDirs.myUid();
        System.out.println("UID " + uid);
        Path home = Files.createTempDirectory("subuid-node", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx--x---")));
        Path key = Files.writeString(home.resolve("node.key"), "SECRET-KEY");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path data = Files.createDirectory(home.resolve("data"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.writeString(data.resolve("state"), "NODE-DATA");
        ExecutorService watcher = Executors.newSingleThreadExecutor();
        try {
            // The doctor's verdict and the node's launcher, as a node of this user gets them.
            SandboxReport report = SandboxProbe.probe();
            System.out.println("REPORT_OWN " + report.subordinateUids() + " JOB_UID " + report.toJson().get("job_uid").getAsString());
            report.checks().stream().filter(c -> c.name().equals(SandboxProbe.JOB_USER))
                    .forEach(c -> System.out.println("JOB_USER " + c.ok() + " " + c.detail()));
            BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority().forSlot(0);
            System.out.println("LAUNCHER_SUBORDINATE " + launcher.subordinateUids());
            Path jobDir = launcher.prepareJobDir("sublaunch-" + name);
            Path checkout = Files.createDirectory(jobDir.resolve("checkout"));
            Files.writeString(checkout.resolve("train.py"), "print(1)");
            // The job's host uid, seen on a file it made while it runs (given back to the node once it ends).
            Future<String> owner = watcher.submit(() -> {
                Path ready = checkout.resolve("ready");
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (!Files.exists(ready, LinkOption.NOFOLLOW_LINKS) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                return String.valueOf(Files.getAttribute(ready, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            });
            String script = "id -u > uid; id -g > gid; mkdir -p /tmp/tmpxyz/d && chmod 700 /tmp/tmpxyz/d /tmp/tmpxyz;"
                    + " mkdir -p tmpabc/inner && echo x > tmpabc/inner/f && chmod 700 tmpabc/inner tmpabc;"
                    + " touch ready; sleep 4; echo val_bpb: 1.5";
            JobOutcome outcome = new JobRunner(launcher).run(new JobSpec(checkout, List.of("/bin/sh", "-c", script),
                    Map.of(), Duration.ofMinutes(2), home.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);
            System.out.println("STATUS " + outcome.status() + " EXIT " + outcome.exitCode());
            System.out.println("LOG " + Files.readString(home.resolve("logs/job.log")).replace('\n', '|'));
            System.out.println("JOB_HOST_UID " + owner.get(1, TimeUnit.MINUTES));
            System.out.println("JOB_INSIDE_UID " + read(checkout.resolve("uid")) + " GID " + read(checkout.resolve("gid")));
            // Given back once the job ended, before the runner read anything: the whole tree the node's, 0700 dirs too.
            try (Stream<Path> all = Files.walk(checkout)) {
                System.out.println("GIVEN_BACK " + all.allMatch(f -> hostUidOf(f) == uid));
            }
            // The node's key and data directory, shown to a job read-only: refused by their modes.
            Process p = launcher.start(List.of("/bin/sh", "-c", "cat " + key + " > key.out 2>&1; echo $? > key.rc;"
                    + " ls " + data + " > data.out 2>&1; echo $? > data.rc"),
                    new Confinement(checkout, List.of(checkout), List.of(home), Map.of("PATH", "/usr/bin:/bin")),
                    java.lang.ProcessBuilder.Redirect.PIPE, java.lang.ProcessBuilder.Redirect.DISCARD,
                    java.lang.ProcessBuilder.Redirect.DISCARD);
            p.getOutputStream().close();
            System.out.println("SECOND_DONE " + p.waitFor(2, TimeUnit.MINUTES) + " " + p.exitValue());
            System.out.println("KEY_RC " + read(checkout.resolve("key.rc")) + " KEY_OUT " + read(checkout.resolve("key.out")));
            System.out.println("DATA_RC " + read(checkout.resolve("data.rc")) + " DATA_OUT " + read(checkout.resolve("data.out")));
            try (Stream<Path> all = Files.walk(checkout)) {
                System.out.println("GIVEN_BACK_AGAIN " + all.allMatch(f -> hostUidOf(f) == uid));
            }
            JobDirs.deleteTree(checkout);
            System.out.println("DELETED " + !Files.exists(checkout, LinkOption.NOFOLLOW_LINKS));
            launcher.releaseUid();
            JobDirs.deleteTree(jobDir);
        } finally {
            watcher.shutdownNow();
            JobDirs.deleteTree(home);
        }
    }

    private static int hostUidOf(Path f) {
        try {
            return (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (Exception e) {
            return -1;
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f).trim().replace('\n', ' ');
        } catch (Exception e) {
            return "unread: " + e;
        }
    }
}
