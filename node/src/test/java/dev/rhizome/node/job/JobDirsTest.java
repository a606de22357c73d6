package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's job directory is named at random, once: a job sees its own path, so a name must tell it nothing. */
class JobDirsTest {
    @TempDir
    Path dataDir;

    @Test
    void theNameIsRandomKeptAcrossRestartsAndRemadeWhenUnreadable() throws Exception {
        Path file = dataDir.resolve("jobs.name");

        String first = JobDirs.nameIn(file);

        assertThat(first).matches("[0-9a-f]{16}");
        assertThat(JobDirs.nameIn(file)).isEqualTo(first);
        assertThat(JobDirs.nameIn(dataDir.resolve("other.name"))).isNotEqualTo(first);
        Files.writeString(file, "../../etc");
        assertThat(JobDirs.nameIn(file)).matches("[0-9a-f]{16}").isNotEqualTo(first);
    }

    @Test
    void aTrashLeftByAKilledDeleteIsRemovedAtTheNextStartAndOnlyThisJobDirectorys() throws Exception {
        String name = "trash-" + System.nanoTime();
        Path jobs = JobDirs.prepare(name);
        Path tmp = jobs.getParent();
        // What a node killed in the middle of deleting its job directory leaves next to it.
        Path left = Files.createDirectories(tmp.resolve(JobDirs.trashPrefix(jobs) + "0123").resolve("d0/e"));
        Files.writeString(left.resolve("f"), "x");
        Path others = Files.createDirectories(tmp.resolve(".rhizome-jobs-1-other" + name + ".deleting-0123"));
        try {
            JobDirs.prepare(name);

            assertThat(tmp.resolve(JobDirs.trashPrefix(jobs) + "0123")).doesNotExist();
            assertThat(others).isDirectory();
            JobDirs.delete(jobs);
            try (java.util.stream.Stream<Path> all = Files.list(tmp)) {
                assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(name) && !n.equals(others.getFileName().toString()));
            }
        } finally {
            JobDirs.deleteTree(others);
            JobDirs.delete(jobs);
        }
    }
}
