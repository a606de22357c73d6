package dev.rhizome.node.job;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a node running as an ordinary user does, run in its own JVM by {@link NonRootNodeTest}
 * (as a test-only user, {@link TestUser}, when the tests run as root). Prints one {@code KEY value} line per finding.
 */
public final class NonRootNodeCheck {
    private NonRootNodeCheck() {
    }

    public static void main(String[] args) throws Exception {
        String tag = args[0];
        System.out.println("UID " + JobDirs.myUid());
        CgroupV2.Detection cgroup = CgroupV2.detect();
        SandboxReport report = SandboxProbe.probe(HostView.real(), cgroup, new SandboxLimits(256L << 20, 64, 16L << 20));
        System.out.println("SANDBOX " + report.ok());
        // What doctor says of the jobs' uid: shared with the node's, and the remedy.
        report.checks().stream().filter(c -> c.name().equals(SandboxProbe.JOB_USER)).findFirst().ifPresent(c ->
                System.out.println("JOB_USER " + c.detail().split(":")[0] + " " + c.ok() + " FIX " + c.fix()));
        if (!report.ok()) {
            System.out.println("WHY " + report.whyNot().replace('\n', ' '));
            return;
        }
        System.out.println("JOB_UID " + report.plan().get().jobUid());
        Path jobs = JobDirs.prepare("nonroot-" + tag);
        Path checkout = Files.createDirectory(jobs.resolve("unit"));
        Path log = Files.createTempDirectory("nonroot-log").resolve("job.log");
        // Its files are the node user's own: it hides 24 MiB from the node in a directory it makes unreadable.
        // Unlistable (0300) before anything is in it, so that no walk of the node's sees the bytes first.
        String script = "mkdir hide && chmod 300 hide && dd if=/dev/zero of=hide/big bs=1M count=24 2>/dev/null"
                + " && chmod 000 hide && chmod 000 . && echo HID; sleep 3; echo 'val_bpb: 1.0'";
        JobOutcome outcome = new JobRunner(new BwrapLauncher(report.plan().get(), cgroup.cgroup(), HostView.real()),
                JobRunner.DEFAULT_MAX_LOG_BYTES, 8L << 20).run(new JobSpec(checkout, List.of("/bin/sh", "-c", script),
                        Map.of(), JobBudgets.ENDS_BY_ITSELF, log, "val_bpb"), JobProgress.IGNORE);
        System.out.println("STATUS " + outcome.status());
        System.out.println("LOG " + Files.readString(log).replace('\n', ' '));
        try {
            JobDirs.deleteTree(jobs);
        } catch (Exception e) {
            System.out.println("DELETE_FAILED " + e);
        }
        System.out.println("LEFT " + Files.exists(jobs, LinkOption.NOFOLLOW_LINKS));
        JobDirs.deleteTree(log.getParent());
    }
}
