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
}
