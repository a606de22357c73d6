package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root node's jobs run as uids of their own, and bubblewrap opens what it binds as that uid: a node
 * whose temporary directory lies under a 0700 directory (a {@code mktemp -d}) still runs its jobs, and a
 * bind its job cannot reach is refused naming the path, the uid and the remedy, never with bubblewrap's
 * bare "Can't find source path".
 */
class JobReachTest {
    @TempDir
    Path tmp;

    @Test
    void aRootNodeWhoseTemporaryDirectoryIsUnderAPrivateDirectoryPassesItsTrialAndRunsItsJobs() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "jobs run as uids of their own only for a root node");
        Path privateDir = Files.createDirectory(tmp.resolve("private"));
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
        Path nodeTmp = Files.createDirectory(privateDir.resolve("tmp"));
        String tmpDir = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", nodeTmp.toString());
        try {
            // The start-up trial, as `rhizome node doctor` and a node's start run it.
            SandboxReport report = SandboxProbe.probe(HostView.real(), CgroupV2.detect(), SandboxedJobs.SMALL);
            assertThat(report.ok()).as(report.whyNot()).isTrue();
            assertThat(report.plan().get().jobUid()).isPresent();
            BwrapLauncher launcher = new BwrapLauncher(report.plan().get(), CgroupV2.detect().cgroup(), HostView.real())
                    .atCallersPriority();
            Path checkout = JobDirs.prepare("reach-" + System.nanoTime());
            try {
                assertThat(checkout.startsWith(privateDir)).as("the job directory " + checkout).isFalse();
                Path log = tmp.resolve("job.log");
                Files.writeString(checkout.resolve("probe.py"), "print(open('/proc/meminfo').read()[:40])\n");
                JobOutcome outcome = new JobRunner(launcher).run(new JobSpec(checkout,
                        List.of("/bin/sh", "-c", "/usr/bin/python3 probe.py; echo 'val_bpb: 1.0'"), Map.of(),
                        JobBudgets.ENDS_BY_ITSELF, log, "val_bpb"), JobProgress.IGNORE);
                assertThat(outcome.status()).as(Files.readString(log)).isEqualTo(Result.Status.OK);
            } finally {
                JobDirs.deleteTree(checkout);
            }
        } finally {
            System.setProperty("java.io.tmpdir", tmpDir);
        }
    }

    @Test
    void aCheckoutItsJobCannotReachIsRefusedNamingThePathTheUidAndTheRemedy() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "jobs run as uids of their own only for a root node");
        BwrapLauncher launcher = SandboxedJobs.atJobPriority(SandboxedJobs.SMALL).atCallersPriority();
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path privateDir = Files.createDirectory(tmp.resolve("private"));
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
        Path checkout = Files.createDirectory(privateDir.resolve("checkout"));
        Files.writeString(checkout.resolve("probe.py"), "print('hi')\n");
        int uid = launcher.plan().jobUid().getAsInt();
        assertThatThrownBy(() -> new JobRunner(launcher).run(new JobSpec(checkout,
                List.of("/bin/sh", "-c", "/usr/bin/python3 probe.py"), Map.of(), JobBudgets.ENDS_BY_ITSELF,
                tmp.resolve("job.log"), "val_bpb"), JobProgress.IGNORE))
                .hasMessageContaining("uid " + uid)
                .hasMessageContaining("cannot reach " + checkout)
                .hasMessageContaining(privateDir + " (rwx------, owner uid 0)")
                .hasMessageContaining("chmod o+x " + privateDir)
                .hasMessageNotContaining("Can't find source path");
    }

    @Test
    void aTemporaryDirectoryOthersCannotPassGivesWayToTheFirstSystemOneTheyCan() {
        Path home = Path.of("/home/ada");
        Path privateTmp = Path.of("/tmp/tmp.Xy12/tmp");
        assertThat(JobDirParent.choose(privateTmp, home, "ada", JobDirParent.SYSTEM, p -> true,
                p -> !p.startsWith("/tmp/tmp.Xy12"))).isEqualTo(Path.of("/var/tmp"));
        assertThat(JobDirParent.choose(privateTmp, home, "ada", JobDirParent.SYSTEM, p -> true,
                p -> p.equals(Path.of("/tmp")))).isEqualTo(Path.of("/tmp"));
        // none passable: the node keeps its own, and each job is refused naming the way (above)
        assertThat(JobDirParent.choose(privateTmp, home, "ada", JobDirParent.SYSTEM, p -> true, p -> false))
                .isEqualTo(privateTmp);
        assertThat(JobDirParent.choose(Path.of("/scratch"), home, "ada", JobDirParent.SYSTEM, p -> true, p -> true))
                .isEqualTo(Path.of("/scratch"));
    }

    @Test
    void aDirectoryIsPassedByItsOwnerItsGroupOrOthersByTheirOwnBit() {
        var mode = new JobReach.Mode(10, 20, PosixFilePermissions.fromString("rwx--x---"));
        assertThat(mode.passable(10, 99)).isTrue();
        assertThat(mode.passable(11, 20)).isTrue();
        assertThat(mode.passable(11, 21)).isFalse();
        assertThat(JobReach.bindSources(List.of("--unshare-all", "--ro-bind", "/a", "/x", "--bind", "/b", "/job",
                "--dev-bind", "/dev/nvidia0", "/dev/nvidia0", "--ro-bind-try", "/c", "/c", "--tmpfs", "/tmp")))
                .containsExactly(Path.of("/a"), Path.of("/b"), Path.of("/dev/nvidia0"), Path.of("/c"));
    }
}
