package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The range a root node's jobs run in, and how the probe finds it taken, on a machine laid out as files. */
class JobUidsTest {
    @TempDir
    Path root;

    @Test
    void eachSlotHasAUidOfItsOwnInTheRangeAndAllShareItsGroup() {
        assertThat(JobUids.uidOf(0)).isEqualTo(JobUids.GID + 1);
        assertThat(JobUids.uidOf(1)).isNotEqualTo(JobUids.uidOf(0));
        assertThat(JobUids.gidFor(JobUids.uidOf(7))).isEqualTo(JobUids.GID);
        assertThat(JobUids.gidFor(65534)).isEqualTo(65534); // not the range's: its own number, as before
        assertThat(JobUids.isJobUid(JobUids.GID)).isFalse();
        assertThatThrownBy(() -> JobUids.uidOf(JobUids.SLOTS)).hasMessageContaining("at most " + JobUids.SLOTS);
        assertThatThrownBy(() -> JobUids.uidOf(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFreeRangeHasNoConflictAndAUserAGroupOrAProcessInItIsNamed() throws IOException {
        write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n");
        write("etc/group", "root:x:0:\n");
        write("proc/1/status", "Name:\tinit\nUid:\t0\t0\t0\t0\n");
        write("proc/77/status", "Name:\tdaemon\nUid:\t65534\t65534\t65534\t65534\n");
        write("proc/self/status", "Uid:\t" + JobUids.uidOf(0) + "\t0\t0\t0\n"); // not a pid: not counted twice
        // A running job's: bubblewrap's outer process, and what runs in its PID namespace (doctor beside a busy node)
        write("proc/120/status", "Name:\tbwrap\nUid:\t" + JobUids.uidOf(0) + "\t" + JobUids.uidOf(0) + "\t0\t0\nNSpid:\t120\n");
        write("proc/121/status", "Name:\tpython3\nUid:\t" + JobUids.uidOf(0) + "\t" + JobUids.uidOf(0) + "\t0\t0\nNSpid:\t121\t2\n");
        // a launch caught between setpriv's switch to the slot's uid and its exec of bubblewrap
        write("proc/119/status", "Name:\tsetpriv\nUid:\t" + JobUids.uidOf(1) + "\t" + JobUids.uidOf(1) + "\t"
                + JobUids.uidOf(1) + "\t" + JobUids.uidOf(1) + "\nNSpid:\t119\n");
        assertThat(JobUids.conflicts(HostView.rootedAt(root))).isEmpty();
        Files.delete(root.resolve("proc/119/status"));
        Files.delete(root.resolve("proc/120/status"));
        Files.delete(root.resolve("proc/121/status"));

        write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nclash:x:" + JobUids.uidOf(3) + ":100::/:/bin/sh\n");
        write("etc/group", "root:x:0:\njobs:x:" + JobUids.GID + ":\n");
        // a saved uid counts: the process can become it
        write("proc/99/status", "Name:\tx\nUid:\t1000\t1000\t" + JobUids.uidOf(1) + "\t1000\nNSpid:\t99\n");

        assertThat(JobUids.conflicts(HostView.rootedAt(root))).containsExactly(
                "/etc/passwd names id " + JobUids.uidOf(3) + " (clash)",
                "/etc/group names id " + JobUids.GID + " (jobs)",
                "process 99 runs as uid " + JobUids.uidOf(1));
    }

    @Test
    void aPlanOfOwnUidsGivesEachSlotItsUidAndAPlanOfTheNodesUidStaysShared() {
        SandboxPlan own = plan(java.util.OptionalInt.of(JobUids.uidOf(0)));
        assertThat(own.ownUid()).isTrue();
        assertThat(own.forSlot(2).jobUid()).hasValue(JobUids.uidOf(2));
        assertThat(own.forSlot(2).jobGid()).hasValue(JobUids.GID);
        assertThat(own.forSlot(2).summary()).contains("uid of its slot's own");
        SandboxPlan shared = plan(java.util.OptionalInt.empty());
        assertThat(shared.ownUid()).isFalse();
        assertThat(shared.forSlot(2)).isSameAs(shared);
        assertThat(shared.summary()).contains("uid of the node");
    }

    private static SandboxPlan plan(java.util.OptionalInt uid) {
        return new SandboxPlan(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"), Path.of("/usr/bin/setpriv"), uid,
                new SandboxLimits(256L << 20, 64, 16L << 20), SandboxPlan.MemoryLimit.ADDRESS_SPACE, GpuPassthrough.NONE);
    }

    private void write(String path, String text) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }
}
