package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's look into a directory a job wrote. A job makes a million empty files in one directory in
 * about a second; the walks that bound it (work directory, {@code /tmp}) stop past their bound, so the
 * look must not read, stat and hold every entry first, in the node's memory and on the slot's thread,
 * while the job goes on making more.
 */
class JobTreeEntriesTest {
    @TempDir
    Path dir;

    @Test
    void aListingReadsNoMoreEntriesThanItIsAskedFor() throws Exception {
        for (int i = 0; i < 2_000; i++) {
            Files.createFile(dir.resolve("f" + i));
        }

        JobTreeEntries.Listing cut = JobTreeEntries.seen(dir, JobTreeEntries.lstat(dir), 25);
        JobTreeEntries.Listing whole = JobTreeEntries.seen(dir, JobTreeEntries.lstat(dir), Long.MAX_VALUE);

        assertThat(cut.swapped()).isFalse();
        assertThat(cut.entries()).hasSize(25);
        assertThat(whole.entries()).hasSize(2_000);
    }

    @Test
    void theWalksStopOneEntryPastTheirBoundInADirectoryOfManyMore() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        for (int i = 0; i < 2_000; i++) {
            Files.createFile(tmp.resolve("f" + i));
        }

        assertThat(WorkDirBudget.usage(tmp, Long.MAX_VALUE, 100).entries()).isEqualTo(101);
        assertThat(new MemoryFiles(Path.of("/proc"), 100).count(dir))
                .hasValue("it made more than 100 files in its /tmp and /dev/shm");
    }
}
