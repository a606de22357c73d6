package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node killed with SIGKILL leaves its seccomp program in the temporary directory; the next node clears it. */
class SeccompProgramsTest {
    @TempDir
    Path tmp;

    @Test
    void programsOfKilledProcessesAreRemovedAndThoseOfLiveOnesKept() throws Exception {
        Process killed = new ProcessBuilder("sleep", "60").start();
        long deadPid = killed.pid();
        killed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            long self = ProcessHandle.current().pid();
            Files.writeString(tmp.resolve("rhizome-seccomp-" + deadPid + "-1b2c3d.bpf"), "dead");
            Files.writeString(tmp.resolve("rhizome-seccomp-" + deadPid + "-8812736451.tmp"), "dead, mid-write");
            Files.writeString(tmp.resolve("rhizome-seccomp-" + alive.pid() + "-1b2c3d.bpf"), "alive");
            Files.writeString(tmp.resolve("rhizome-seccomp-" + self + "-77.bpf"), "mine");
            Files.writeString(tmp.resolve("rhizome-seccomp-notapid.bpf"), "foreign");

            assertThat(BwrapLauncher.removeOrphanedPrograms(tmp, self)).isEqualTo(2);

            try (Stream<Path> files = Files.list(tmp)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                        "rhizome-seccomp-" + alive.pid() + "-1b2c3d.bpf", "rhizome-seccomp-" + self + "-77.bpf",
                        "rhizome-seccomp-notapid.bpf");
            }
        } finally {
            alive.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
