package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's job directory is named at random, anew at each start: a job sees its own path (its checkout's
 * host path in {@code /proc/self/mountinfo}), so a name must tell it nothing; yet a node killed outright
 * finds what it left at its next start, and nothing of another node's or another user's.
 */
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

    /**
     * The key is new at each start, once the last start's directories are gone: a key seen by a job
     * (before the names were tagged, the key was the directory's name) tags nothing made later.
     */
    @Test
    void eachStartTakesANewKeyAfterDeletingWhatTheLastKeyTagged() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        String seen = JobDirs.nameIn(keyFile);
        Path first = JobDirs.prepareForNode(keyFile);
        Path second = null;
        try {
            String firstKey = JobDirs.nameIn(keyFile);
            assertThat(firstKey).isNotEqualTo(seen);
            assertThat(JobDirNames.madeWith(first.getFileName().toString(), firstKey)).isTrue();
            assertThat(JobDirNames.madeWith(first.getFileName().toString(), seen)).isFalse();

            second = JobDirs.prepareForNode(keyFile);

            assertThat(first).doesNotExist();
            String secondKey = JobDirs.nameIn(keyFile);
            assertThat(secondKey).isNotIn(seen, firstKey);
            assertThat(JobDirNames.madeWith(second.getFileName().toString(), secondKey)).isTrue();
            assertThat(JobDirs.leftovers(firstKey)).isEmpty();
        } finally {
            JobDirs.delete(first);
            if (second != null) {
                JobDirs.delete(second);
            }
        }
    }

    /**
     * What a killed start left is deleted beside the next start, not before it: a killed job's tree
     * (up to 200,000 entries) held the next start up, nothing run, for as long as its delete took
     * (storm.md). The next start has its new key and its directory while the delete still runs; a
     * start killed during that delete (its deleter held here, the files on disk as a kill leaves them)
     * has kept the old key beside the key file, so the start after it deletes those directories too.
     */
    @Test
    void whatAKilledStartLeftIsDeletedBesideTheNextStartAndAfterAKillDuringThatDelete() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        NodeJobDirs killed = JobDirs.startNode(keyFile);
        killed.leftoversDeleted().get(60, TimeUnit.SECONDS);
        Path job = killed.next();
        Files.writeString(job.resolve("checkout"), "a job's file");
        CountDownLatch handedOver = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        NodeJobDirs second = null;
        NodeJobDirs third = null;
        try {
            CompletableFuture<NodeJobDirs> starting = CompletableFuture.supplyAsync(() -> {
                try {
                    return JobDirs.startNode(keyFile, old -> {
                        handedOver.countDown();
                        try {
                            held.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, made -> made);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            second = starting.get(60, TimeUnit.SECONDS);  // it waited for the delete before: never, held so

            assertThat(handedOver.await(60, TimeUnit.SECONDS)).as("the delete began").isTrue();
            assertThat(second.leftoversDeleted()).isNotDone();
            assertThat(second.dir()).isEmptyDirectory();
            assertThat(job.resolve("checkout")).exists();

            third = JobDirs.startNode(keyFile);

            assertThat(third.leftoversDeleted().get(60, TimeUnit.SECONDS))
                    .as("the killed start's two directories and the second start's own").isEqualTo(3);
            assertThat(job).doesNotExist();
            assertThat(killed.dir()).doesNotExist();
            assertThat(second.dir()).doesNotExist();
            assertThat(third.dir()).isEmptyDirectory();
            held.countDown();
            second.leftoversDeleted().get(60, TimeUnit.SECONDS);
            assertThat(keyFile.resolveSibling("jobs.name.leftover")).as("no key left to delete for").doesNotExist();
        } finally {
            held.countDown();
            for (NodeJobDirs d : new NodeJobDirs[] {killed, second, third}) {
                if (d != null) {
                    JobDirs.delete(d.dir());
                }
            }
            JobDirs.delete(job);
        }
    }

    /**
     * A node killed outright (SIGKILL, no clean-up of its own) leaves its job directory and a job's
     * awkward checkout in the temporary directory; its next start removes them, and keeps another node's
     * (another key) and another user's (a directory of the same key's name made by someone else).
     */
    @Test
    void aNodeRestartedAfterAKillDeletesWhatItLeftAndNothingElse() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        String key = JobDirs.nameIn(keyFile);
        Path otherNodes = JobDirs.prepareForNode(dataDir.resolve("other-node.name"));
        Path tmp = otherNodes.getParent();
        Path othersUser = tmp.resolve(JobDirNames.fresh(key));
        Files.createDirectory(othersUser);
        boolean root = JobDirs.myUid() == 0;
        if (root) {
            Files.setAttribute(othersUser, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
        Path oldName = JobDirs.prepare(key); // where the node kept its checkouts before: rhizome-jobs-<uid>-<key>
        Process node = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), JobDirHolder.class.getName(), dataDir.toString())
                .redirectErrorStream(true).start();
        Path killed = null;
        Path next = null;
        try {
            String said = new java.io.BufferedReader(new java.io.InputStreamReader(node.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8)).readLine();
            assertThat(said).startsWith("JOBS ");
            killed = Path.of(said.substring(5));
            node.destroyForcibly(); // SIGKILL: nothing of the node's runs
            node.waitFor();
            assertThat(killed).isDirectory();
            assertThat(killed.getFileName().toString()).as("random: no uid, no name the node keeps")
                    .matches("rhizome-[0-9a-f]{32}").doesNotContain(key);
            assertThat(JobDirs.nameIn(keyFile)).as("the killed start's key, new at that start").isNotEqualTo(key);

            next = JobDirs.prepareForNode(keyFile);

            assertThat(killed).doesNotExist();
            assertThat(oldName).doesNotExist();
            assertThat(next).isEmptyDirectory().isNotEqualTo(killed);
            assertThat(otherNodes).isDirectory();
            if (root) {
                assertThat(othersUser).as("another user's directory, even of this key's name").isDirectory();
            }
            String trash = "." + killed.getFileName();
            try (Stream<Path> all = Files.list(tmp)) {
                assertThat(all.map(p -> p.getFileName().toString()))
                        .as("no trash of the delete left").noneMatch(n -> n.startsWith(trash));
            }
        } finally {
            node.destroyForcibly().waitFor();
            for (Path p : new Path[] {killed, next, otherNodes, othersUser, oldName}) {
                if (p != null) {
                    JobDirs.delete(p);
                }
            }
        }
    }

    @Test
    void aNameIsOnlyTheKeysWhoseTagItCarries() {
        String name = JobDirNames.fresh("0123456789abcdef");

        assertThat(name).matches("rhizome-[0-9a-f]{32}").doesNotContain("0123456789abcdef");
        assertThat(JobDirNames.madeWith(name, "0123456789abcdef")).isTrue();
        assertThat(JobDirNames.madeWith(name, "fedcba9876543210")).isFalse();
        assertThat(JobDirNames.fresh("0123456789abcdef")).isNotEqualTo(name);
        String flipped = name.substring(0, name.length() - 1) + (name.endsWith("0") ? "1" : "0");
        assertThat(JobDirNames.madeWith(flipped, "0123456789abcdef")).isFalse();
        assertThat(JobDirNames.madeWith("rhizome-jobs-0-0123456789abcdef", "0123456789abcdef")).isFalse();
    }
}
