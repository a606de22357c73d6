package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkDirBudgetTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void aJobGetsHalfOfWhatIsFreeLessTheVolunteersReserve() {
        // 500 GiB disk, 100 free: 5% (25 GiB) kept, half the rest for the job
        assertThat(WorkDirBudget.share(500 * GIB, 100 * GIB)).isEqualTo(75 * GIB / 2);
        // 10 GiB disk, 5 free: the reserve is at least 1 GiB
        assertThat(WorkDirBudget.share(10 * GIB, 5 * GIB)).isEqualTo(2 * GIB);
    }

    @Test
    void aSmallFileSystemKeepsAQuarterAndANearlyFullOneGivesTheFloor() {
        // a 1 GiB /tmp in memory: a quarter kept, not 1 GiB (which would leave jobs nothing)
        assertThat(WorkDirBudget.share(GIB, 900L << 20)).isEqualTo(((900L << 20) - GIB / 4) / 2);
        assertThat(WorkDirBudget.share(500 * GIB, 10 * GIB)).isEqualTo(WorkDirBudget.FLOOR);
    }

    @Test
    void theDisksFloorIsTheReserveOrHalfOfWhatWasFreeWhenLessWasFree() {
        assertThat(WorkDirBudget.floor(500 * GIB, 100 * GIB)).isEqualTo(25 * GIB);
        assertThat(WorkDirBudget.floor(500 * GIB, 10 * GIB)).isEqualTo(5 * GIB);
        // Two jobs each using the whole of their share still leave the floor free.
        long free = 100 * GIB;
        long first = WorkDirBudget.share(500 * GIB, free);
        long second = WorkDirBudget.share(500 * GIB, free - first);
        assertThat(free - first - second).isGreaterThanOrEqualTo(WorkDirBudget.floor(500 * GIB, free));
    }

    @Test
    void theJobsThatRunAtOnceShareTheCountOfFilesAsTheyShareTheBytes() throws Exception {
        // Each slot's job had all 200,000: a node of 16 slots let its jobs take 3.2 million inodes, more
        // than a 20 GB ext4 file system has, and one out of inodes stops the volunteer's programs.
        NodeShare ofTen = NodeShare.ALONE.times(10);
        assertThat(WorkDirBudget.entriesFor(NodeShare.ALONE)).isEqualTo(WorkDirBudget.MAX_ENTRIES);
        assertThat(WorkDirBudget.entriesFor(NodeShare.ALONE.times(4))).isEqualTo(WorkDirBudget.MAX_ENTRIES / 4);
        assertThat(WorkDirBudget.entriesFor(ofTen)).isEqualTo(WorkDirBudget.MIN_ENTRIES);

        WorkDirBudget budget = WorkDirBudget.forJob(dir, Long.MAX_VALUE, ofTen);
        for (int i = 0; i < WorkDirBudget.MIN_ENTRIES - 1; i++) { // the directory itself is one
            Files.createFile(dir.resolve("f" + i));
        }
        assertThat(budget.overrun()).isEmpty();

        Files.createFile(dir.resolve("one-more"));
        assertThat(budget.overrun()).hasValue("it made more than " + WorkDirBudget.MIN_ENTRIES
                + " files in its work directory");
    }

    @Test
    void aFileDeletedButHeldOpenCounts() throws Exception {
        WorkDirBudget budget = WorkDirBudget.forJob(dir, 3 * 4096);
        Path held = dir.resolve("held");
        try (RandomAccessFile f = new RandomAccessFile(held.toFile(), "rw")) {
            Files.delete(held);
            f.write(new byte[4 * 4096]);
            assertThat(budget.overrun()).isEmpty(); // the walk alone finds no name for it
            assertThat(budget.overrun(List.of(ProcessHandle.current())))
                    .hasValueSatisfying(why -> assertThat(why).contains("MiB of it in files it deleted and holds open"));
        }
        assertThat(budget.overrun(List.of(ProcessHandle.current()))).isEmpty();
    }

    @Test
    void theWalkCountsWhatTheJobAddedAndNeverWaitsOnAFifo() throws Exception {
        Files.createDirectories(dir.resolve("a/b"));
        Files.write(dir.resolve("a/b/f"), new byte[1000]);
        Files.createSymbolicLink(dir.resolve("a/link"), Path.of("/usr"));
        WorkDirBudget budget = WorkDirBudget.forJob(dir, 3 * 4096);
        Files.write(dir.resolve("a/g"), new byte[3000]); // a block
        Files.write(dir.resolve("a/b/h"), new byte[1]); // a block too: what a file takes is whole blocks
        assertThat(budget.overrun()).isEmpty();
        Files.createSymbolicLink(dir.resolve("a/far"), Path.of("x".repeat(3000))); // a target past 60 bytes takes one
        assertThat(budget.overrun()).isEmpty();
        Files.write(dir.resolve("a/b/i"), new byte[1]);
        assertThat(budget.overrun()).hasValueSatisfying(why -> assertThat(why).contains("wrote more than"));

        // A directory the job swaps for a FIFO between the walk's lstat and its listing: a plain
        // open(O_RDONLY), as Files.newDirectoryStream does, waits there for a writer that never comes.
        Path fifo = dir.resolve("fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(fifo), "mkfifo made no FIFO");
        String[] listed = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> WorkDirBudget.list(fifo));
        assertThat(listed).isNull();
        assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> JobTreeEntries.of(fifo))).isNull();
        // Nor through a link to one.
        Path toFifo = Files.createSymbolicLink(dir.resolve("to-fifo"), fifo);
        assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> JobTreeEntries.of(toFifo))).isNull();
    }

    /**
     * A name is bytes, and one that is not valid in the JVM's encoding (a lone \xff is valid in none
     * that Java decodes losslessly) came back from {@code File.list} as a name no file has: the walk
     * took the directory for one deleted since, and what it held went uncounted.
     */
    @Test
    void aDirectoryWhoseNameIsNotTextIsCountedLikeAnyOther() throws Exception {
        WorkDirBudget budget = WorkDirBudget.forJob(dir, 16 * 4096);
        // The job's own bytes, as a job's process makes them: no Java string names them.
        Process p = new ProcessBuilder("/bin/sh", "-c", "d=\"$(printf '\\377\\376')\"; mkdir \"$d\" && "
                + "head -c 131072 /dev/zero > \"$d/$(printf 'caf\\351')\" && mkdir \"$d/$d\" && : > \"$d/$d/x\"")
                .directory(dir.toFile()).inheritIO().start();
        assertThat(p.waitFor()).isZero();

        assertThat(budget.overrun()).hasValueSatisfying(why -> assertThat(why).contains("wrote more than"));
        List<Path> top = JobTreeEntries.of(dir);
        assertThat(top).hasSize(1);
        assertThat(Files.isDirectory(top.get(0), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(JobTreeEntries.of(top.get(0))).hasSize(2).allMatch(e -> Files.exists(e, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        JobDirs.deleteTree(top.get(0));
        assertThat(JobTreeEntries.of(dir)).isEmpty();
    }
}
