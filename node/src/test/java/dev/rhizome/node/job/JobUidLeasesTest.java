package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two root nodes on one machine never run jobs as the same uid: each slot holds its uid
 * ({@link JobUidLeases}) while it exists, and a node killed outright lets go of its uids with its process.
 */
class JobUidLeasesTest {
    @TempDir
    Path tmp;

    @Test
    void twoNodesInOneProcessTakeDifferentUidsForTheSameSlotAndAReleasedOneIsTakenAgain() throws IOException {
        Path dir = tmp.resolve("locks");
        JobUidLeases first = new JobUidLeases(dir);
        JobUidLeases second = new JobUidLeases(dir);
        try (JobUidLeases.Lease a0 = first.take(0); JobUidLeases.Lease a1 = first.take(1)) {
            assertThat(a0.uid()).isEqualTo(JobUids.uidOf(0));
            assertThat(a1.uid()).isEqualTo(JobUids.uidOf(1));
            try (JobUidLeases.Lease b0 = second.take(0)) {
                assertThat(b0.uid()).isNotIn(a0.uid(), a1.uid());
                assertThat(JobUids.isJobUid(b0.uid())).isTrue();
            }
            a0.close();
            try (JobUidLeases.Lease again = second.take(0)) {
                assertThat(again.uid()).isEqualTo(JobUids.uidOf(0));
            }
        }
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void aUidAnotherNodesProcessHoldsIsNotTakenUntilThatNodeIsKilled() throws Exception {
        Path dir = tmp.resolve("locks");
        JobUidLeases mine = new JobUidLeases(dir);
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), JobUidLeaseHolder.class.getName(), dir.toString(), "0")
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("HELD " + JobUids.uidOf(0));
            try (JobUidLeases.Lease taken = mine.take(0)) {
                assertThat(taken.uid()).isEqualTo(JobUids.uidOf(1));
            }
            other.destroyForcibly(); // SIGKILL: no code of its runs, the kernel drops its lock
            other.waitFor();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (JobUidLeases.Lease taken = mine.take(0)) {
                    return taken.uid() == JobUids.uidOf(0);
                }
            });
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aLockDirectoryThatIsALinkOrOpenToOthersIsRefused() throws IOException {
        Path target = Files.createDirectory(tmp.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        assertThatThrownBy(() -> new JobUidLeases(link)).isInstanceOf(IOException.class).hasMessageContaining("remove it");
        Path open = Files.createDirectory(tmp.resolve("open"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> new JobUidLeases(open)).isInstanceOf(IOException.class)
                .hasMessageContaining(open.toString());
        assertThatThrownBy(() -> new JobUidLeases(tmp.resolve("locks")).take(JobUids.SLOTS))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void twoRootNodesLaunchersRunTheSameSlotsJobsAsDifferentUids() throws IOException {
        assumeTrue(JobDirs.myUid() == 0, "only a node running as root gives its jobs uids of their own");
        Optional<Path> bwrap = SandboxProbe.onPath("bwrap");
        Optional<Path> setpriv = SandboxProbe.onPath("setpriv");
        assumeTrue(bwrap.isPresent() && setpriv.isPresent(), "bwrap and setpriv build a root node's plan");
        SandboxPlan plan = new SandboxPlan(bwrap.get(), Path.of("/usr/bin/prlimit"), setpriv.get(),
                OptionalInt.of(JobUids.uidOf(0)), new SandboxLimits(256L << 20, 64, 16L << 20),
                SandboxPlan.MemoryLimit.ADDRESS_SPACE, GpuPassthrough.NONE);
        BwrapLauncher nodeA = new BwrapLauncher(plan, Optional.empty(), HostView.real()).shared(2);
        BwrapLauncher nodeB = new BwrapLauncher(plan, Optional.empty(), HostView.real()).shared(2);
        BwrapLauncher a0 = nodeA.forSlot(0);
        BwrapLauncher a1 = nodeA.forSlot(1);
        BwrapLauncher b0 = nodeB.forSlot(0);
        try {
            List<Integer> uids = List.of(a0.plan().jobUid().getAsInt(), a1.plan().jobUid().getAsInt(),
                    b0.plan().jobUid().getAsInt());
            assertThat(uids).doesNotHaveDuplicates().allMatch(JobUids::isJobUid);
            // A harness and its model share their slot's uid: a launcher shared again keeps it.
            assertThat(b0.shared(2).plan().jobUid()).isEqualTo(b0.plan().jobUid());
        } finally {
            a0.releaseUid();
            a1.releaseUid();
            b0.releaseUid();
        }
    }
}
