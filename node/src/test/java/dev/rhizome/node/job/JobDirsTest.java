package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
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
            try (Stream<Path> all = Files.list(tmp)) {
                assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(name) && !n.equals(others.getFileName().toString()));
            }
        } finally {
            JobDirs.deleteTree(others);
            JobDirs.delete(jobs);
        }
    }

    /**
     * The sandbox probe's directory ({@code check-PID}) of a process killed during the probe is
     * removed by the next probe; a live process's stays. Before, only a process of the same pid
     * would empty it: the kill storm found one per node killed while starting.
     */
    @Test
    void aProbeDirectoryOfAKilledProcessIsRemovedAndALiveOnesKept() throws Exception {
        String prefix = "orphan-" + System.nanoTime() + "-";
        Process killed = new ProcessBuilder("sleep", "60").start();
        killed.destroyForcibly().waitFor();
        Process alive = new ProcessBuilder("sleep", "60").start();
        Path dead = JobDirs.prepare(prefix + killed.pid());
        Path live = JobDirs.prepare(prefix + alive.pid());
        try {
            Files.writeString(Files.createDirectories(dead.resolve("checkout/d")).resolve("f"), "left by the kill");

            assertThat(JobDirs.removeOrphans(prefix)).isEqualTo(1);
            assertThat(dead).doesNotExist();
            assertThat(live).isDirectory();
        } finally {
            alive.destroyForcibly().waitFor();
            JobDirs.delete(dead);
            JobDirs.delete(live);
        }
    }

    @Test
    void aModeIsNeverSetThroughALinkSwappedInForADirectory() throws Exception {
        // The delete gives a directory's owner rwx back before moving it; a live job swapped that
        // directory for a link to a file of the node's user, and chmod by path changed the file.
        Set<PosixFilePermission> rwx = PosixFilePermissions
                .fromString("rwx------");
        Path key = Files.writeString(dataDir.resolve("identity.key"), "secret");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
        Path swapped = Files.createSymbolicLink(dataDir.resolve("swapped"), key);

        org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> JobDirs.setMode(swapped, rwx));

        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("r--------"));
        Path dir = Files.createDirectory(dataDir.resolve("dir"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
        JobDirs.setMode(dir, rwx);
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(rwx);
    }
}
