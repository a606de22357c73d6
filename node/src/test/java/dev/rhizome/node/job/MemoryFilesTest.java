package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The count of a sandbox's memory mounts, on a root laid out as files. */
class MemoryFilesTest {
    @TempDir
    Path root;

    @Test
    void entriesOfBothMountsCountTogetherUpToTheBound() throws Exception {
        Path tmp = Files.createDirectories(root.resolve("tmp/a/b"));
        Path shm = Files.createDirectories(root.resolve("dev/shm"));
        for (int i = 0; i < 4; i++) {
            Files.createFile(tmp.resolve("f" + i));
            Files.createFile(shm.resolve("f" + i));
        }
        Files.createSymbolicLink(shm.resolve("link"), Path.of("/etc")); // a link is an entry, never followed
        MemoryFiles files = new MemoryFiles(Path.of("/proc"), 11); // a, b, 8 files, the link

        assertThat(files.count(root)).isEmpty();

        Files.createFile(tmp.resolve("one-more"));
        assertThat(files.count(root)).hasValue("it made more than 11 files in its /tmp and /dev/shm");
    }

    @Test
    void theMemoryMountsDevicesAreReadFromMountinfoAsStatNamesThem() throws Exception {
        Path mountinfo = Files.writeString(root.resolve("mountinfo"), String.join("\n",
                "68 45 0:41 /newroot / ro,nosuid - tmpfs tmpfs rw",
                "70 68 0:41 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=16384k",
                "71 68 259:65537 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw",
                "72 70 254:0 /job /tmp/job rw - ext4 /dev/vda rw", "a line of no such format", ""));

        assertThat(MemoryFiles.mountDevices(mountinfo))
                .containsExactlyInAnyOrder(41L, (259L << 8) | (1L << 28) | 1L); // minor 65537: its low byte low, its rest above the major
        assertThat(MemoryFiles.mountDevices(root.resolve("gone"))).isEmpty();
        // glibc's encoding, as the JDK's unix:dev answers it for this process's root
        String rootLine = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals("/")).reduce((a, b) -> b).orElseThrow();
        String[] majorMinor = rootLine.split(" ")[2].split(":");
        assertThat(MemoryFiles.statDevice(Long.parseLong(majorMinor[0]), Long.parseLong(majorMinor[1])))
                .isEqualTo(Files.getAttribute(Path.of("/"), "unix:dev"));
    }

    @Test
    void aRootWithoutTheMountsOrAProcessOfTheNodesOwnCountsNothing() throws Exception {
        assertThat(new MemoryFiles(Path.of("/proc"), 1).count(root)).isEmpty();
        // The node's own process is in the node's mount namespace: it is not a sandbox to count.
        assertThat(new MemoryFiles(Path.of("/proc"), 1).check(List.of(ProcessHandle.current()))).isEmpty();
    }
}
