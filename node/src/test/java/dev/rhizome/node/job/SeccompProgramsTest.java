package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node killed with SIGKILL leaves its seccomp directory in the temporary directory; the next node clears it. */
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
            Path dead = program("rhizome-seccomp-" + deadPid + "-1234", "filter.bpf");
            Files.writeString(dead.resolve("filter-99.tmp"), "dead, mid-write");
            program("rhizome-seccomp-" + deadPid + "-5678", null);  // killed before its program was written
            program("rhizome-seccomp-" + alive.pid() + "-1234", "filter.bpf");
            program("rhizome-seccomp-" + self + "-77", "filter.bpf");
            program("rhizome-seccomp-notapid", "filter.bpf");

            assertThat(SeccompPrograms.removeOrphans(tmp, self)).isEqualTo(2);

            try (Stream<Path> files = Files.list(tmp)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                        "rhizome-seccomp-" + alive.pid() + "-1234", "rhizome-seccomp-" + self + "-77",
                        "rhizome-seccomp-notapid");
            }
        } finally {
            alive.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Path program(String dir, String file) throws Exception {
        Path d = Files.createDirectory(tmp.resolve(dir),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (file != null) {
            Files.writeString(d.resolve(file), "program");
        }
        return d;
    }
}
