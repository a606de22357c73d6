package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLocksTest {
    @TempDir
    Path dir;

    @Test
    void theHolderIsTheFifthFieldOrTheSixthOfAWaiter() {
        assertThat(FileLocks.holder("1: POSIX  ADVISORY  WRITE 5576 fe:00:2187574 0 EOF")).isEqualTo("5576");
        assertThat(FileLocks.holder("1: -> POSIX  ADVISORY  WRITE 5577 fe:00:2187574 0 EOF")).isEqualTo("5577");
        assertThat(FileLocks.holder("7: OFDLCK ADVISORY  READ  -1 00:05:12 0 EOF")).isEqualTo("-1");
        assertThat(FileLocks.holder("garbage")).isEmpty();
    }

    @Test
    void onlyTheJobsProcessesLocksCountAndOnlyPastTheBound() throws Exception {
        long me = ProcessHandle.current().pid();
        Path locks = Files.writeString(dir.resolve("locks"), """
                1: POSIX  ADVISORY  WRITE %1$d fe:00:1 0 0
                2: POSIX  ADVISORY  WRITE %1$d fe:00:1 2 2
                2: -> POSIX  ADVISORY  WRITE %1$d fe:00:1 2 2
                3: FLOCK  ADVISORY  WRITE 1 fe:00:2 0 EOF
                4: POSIX  ADVISORY  WRITE 1 fe:00:3 0 EOF
                """.formatted(me));

        List<ProcessHandle> job = List.of(ProcessHandle.current());

        assertThat(new FileLocks(locks, 3).check(job)).isEmpty();
        assertThat(new FileLocks(locks, 2).check(job)).hasValue(
                "it held more than 2 file locks, which take kernel memory no limit of its own counts");
        assertThat(TreeRule.onceASecond(new FileLocks(locks, 2)).check(job)).isEmpty(); // the first look a second after the start
        assertThat(new FileLocks(dir.resolve("none"), 0).check(job)).isEmpty(); // a kernel without file locks
    }
}
