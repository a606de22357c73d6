package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupV2Test {
    @TempDir
    Path fs;

    private String mountinfo(Path cgroup2) {
        return """
                25 30 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
                26 25 0:24 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
                27 25 0:25 / %s rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw
                """.formatted(cgroup2);
    }

    @Test
    void theCgroup2MountIsFoundAmongV1Ones() {
        assertThat(CgroupV2.cgroup2Mount(mountinfo(Path.of("/sys/fs/cgroup/unified")))).hasValue(Path.of("/sys/fs/cgroup/unified"));
        assertThat(CgroupV2.cgroup2Mount("26 25 0:24 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")).isEmpty();
    }

    @Test
    void aHybridMachineWhoseV2HierarchyLacksMemoryAndPidsFallsBack() throws Exception {
        Files.writeString(fs.resolve("cgroup.controllers"), "hugetlb\n");

        CgroupV2.Detection d = CgroupV2.detect(mountinfo(fs), "4:memory:/x\n0::/\n");

        assertThat(d.cgroup()).isEmpty();
        assertThat(d.detail()).contains("hugetlb").contains("not memory and pids");
    }

    @Test
    void aDelegatedCgroupWithMemoryAndPidsIsUsed() throws Exception {
        Path own = Files.createDirectories(fs.resolve("user.slice/rhizome.scope"));
        Files.writeString(own.resolve("cgroup.controllers"), "cpu io memory pids\n");
        Files.writeString(own.resolve("cgroup.subtree_control"), "");

        CgroupV2.Detection d = CgroupV2.detect(mountinfo(fs), "0::/user.slice/rhizome.scope\n");

        assertThat(d.cgroup()).hasValueSatisfying(c -> assertThat(c.dir()).isEqualTo(own));
    }

    @Test
    void aV1OnlyProcessHasNoV2Cgroup() {
        assertThat(CgroupV2.detect(mountinfo(fs), "4:memory:/x\n").detail()).contains("cgroup v1 only");
    }
}
