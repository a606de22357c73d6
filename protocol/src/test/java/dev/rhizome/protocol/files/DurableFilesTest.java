package dev.rhizome.protocol.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {
    @TempDir
    Path dir;

    /** Replaces one file over and over with content of alternating size, until killed. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            Path target = Path.of(args[0]);
            for (int i = 0; ; i++) {
                byte[] content = new byte[(i % 2 == 0 ? 300_000 : 70_000)];
                Arrays.fill(content, (byte) ('a' + i % 26));
                DurableFiles.replace(target, content);
                Files.writeString(target.resolveSibling("count"), Integer.toString(i));
            }
        }
    }

    @Test
    void aWriterKilledAtAnyMomentLeavesTheOldContentOrTheNewWholeAndTheNextWriteClearsItsTemporaryFile()
            throws Exception {
        Path target = dir.resolve("peers.bin");
        for (int round = 0; round < 5; round++) {
            Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Writer.class.getName(), target.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("writer.log").toFile()).start();
            int seen = round;
            await().atMost(Duration.ofSeconds(60)).until(() -> count() > seen * 3 + 3 || !writer.isAlive());
            assertThat(writer.isAlive()).as("the writer runs").isTrue();
            // what follows needs it gone: a 10 s wait whose answer went unread let a slow exit race the next step
            assertThat(writer.destroyForcibly().waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();  // SIGKILL, mid-write more often than not

            byte[] content = Files.readAllBytes(target);
            assertThat(content.length).isIn(300_000, 70_000);
            byte first = content[0];
            for (byte b : content) {
                assertThat(b).isEqualTo(first);
            }
            assertThat(temporaryFiles()).as("at most the killed writer's one temporary file is left").hasSizeLessThan(2);
        }
        DurableFiles.replace(target, "new".getBytes());
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(temporaryFiles()).as("the next write removes a dead writer's temporary file").isEmpty();
    }

    /**
     * Replaces args[0] with args[2] bytes of args[1] (one letter), args[3] times (or until killed
     * when negative), args[4] ms apart. A write that fails ends it with exit status 1, its exception on stderr.
     */
    public static final class Hammer {
        public static void main(String[] args) throws Exception {
            Path target = Path.of(args[0]);
            byte[] content = new byte[Integer.parseInt(args[2])];
            Arrays.fill(content, (byte) args[1].charAt(0));
            long times = Long.parseLong(args[3]);
            long pause = Long.parseLong(args[4]);
            for (long i = 0; times < 0 || i < times; i++) {
                DurableFiles.replace(target, content);
                Thread.sleep(pause);
            }
        }
    }

    private Process hammer(Path target, char fill, int size, int times) throws IOException {
        return hammer(target, fill, size, times, 0);
    }

    private Process hammer(Path target, char fill, int size, int times, int pauseMs) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Hammer.class.getName(), target.toString(),
                String.valueOf(fill), Integer.toString(size), Integer.toString(times), Integer.toString(pauseMs))
                .redirectErrorStream(true).redirectOutput(dir.resolve("hammer-" + fill + ".log").toFile()).start();
    }

    /**
     * Two processes replacing one file at once (two CLI commands of one data directory keeping the
     * coordinator's network id): through one fixed temporary name one deleted the other's, so a
     * command failed its rename, or renamed a half-written file into place. Each writer now has a
     * name of its own: both finish, and a reader meanwhile always finds one write whole.
     */
    @Test
    void twoProcessesReplacingOneFileAllSucceedAndAReaderAlwaysFindsOneWriteWhole() throws Exception {
        Path target = dir.resolve("network");
        DurableFiles.replace(target, whole('c', 5_000));
        Process a = hammer(target, 'a', 200_000, 150);
        Process b = hammer(target, 'b', 30_000, 150);
        int reads = 0;
        while (a.isAlive() || b.isAlive() || reads < 10) {
            byte[] content = Files.readAllBytes(target);
            assertThat(content.length).as("read %d", reads).isIn(200_000, 30_000, 5_000);
            assertThat(content).as("read %d, whole", reads).isEqualTo(whole((char) content[0], content.length));
            reads++;
        }
        assertThat(a.waitFor()).as("writer a's exit status (%s)", Files.readString(dir.resolve("hammer-a.log"))).isZero();
        assertThat(b.waitFor()).as("writer b's exit status (%s)", Files.readString(dir.resolve("hammer-b.log"))).isZero();
        assertThat(temporaryFiles()).as("temporary files left by writers that finished").isEmpty();
    }

    /**
     * One of two writers of a file killed (SIGKILL) in the middle of a write: its temporary file is
     * left, the other's next write removes it (its pid names no running process), and the other's
     * own temporary files are never touched by the survivor's clean-up while it runs.
     */
    @Test
    void aWriterKilledMidWriteLeavesATemporaryFileTheOtherWritersNextWriteRemoves() throws Exception {
        Path target = dir.resolve("network");
        // the survivor pauses between writes, so that the victim's leftover is seen before its clean-up
        Process survivor = hammer(target, 'b', 30_000, -1, 200);
        try {
            Path left = null;
            for (int attempt = 0; attempt < 20 && left == null; attempt++) {
                Process victim = hammer(target, 'a', 2_000_000, -1);
                String mine = "network." + victim.pid() + "-";
                Path[] seen = new Path[1];
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(1))
                        .until(() -> (seen[0] = temporaryFiles().stream()
                                .filter(p -> p.getFileName().toString().startsWith(mine)).findFirst().orElse(null)) != null
                                || !victim.isAlive());
                assertThat(victim.isAlive()).as("the victim runs (%s)", Files.readString(dir.resolve("hammer-a.log"))).isTrue();
                victim.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                if (Files.exists(seen[0])) {
                    left = seen[0];
                }
            }
            assertThat(left).as("a kill landed while the victim's temporary file was there").isNotNull();
            Path killed = left;
            // the survivor removes the leftover as its next write begins, and renames its own file in at that
            // write's end: wait for both (the test read the target between them once, before any write had ended)
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> !Files.exists(killed) && Files.exists(target) || !survivor.isAlive());
            assertThat(survivor.isAlive()).as("the survivor never failed a write (%s)",
                    Files.readString(dir.resolve("hammer-b.log"))).isTrue();
            assertThat(killed).as("the killed writer's temporary file, after the survivor's next write").doesNotExist();
        } finally {
            survivor.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        byte[] content = Files.readAllBytes(target);
        assertThat(content).isEqualTo(whole((char) content[0], content.length));
        DurableFiles.replace(target, "new".getBytes());
        assertThat(temporaryFiles()).as("temporary files after a write that follows both kills").isEmpty();
    }

    private static byte[] whole(char fill, int size) {
        byte[] content = new byte[size];
        Arrays.fill(content, (byte) fill);
        return content;
    }

    private List<Path> temporaryFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    private int count() {
        try {
            return Integer.parseInt(Files.readString(dir.resolve("count")).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Threads of one process replacing one file at once (a node's claim and its gossip both keeping
     * the network id they learnt): each deleted the other's temporary file, and one of them failed
     * with "network.tmp -> network" (a claim given up), or renamed the other's half-written file
     * into place. Every write now succeeds and the file is always one of them, whole.
     */
    @Test
    void threadsReplacingOneFileAtOnceAllSucceedAndLeaveOneWriteWhole() throws Exception {
        Path target = dir.resolve("network");
        int threads = 4;
        int writes = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                byte fill = (byte) ('a' + t);
                int size = 1_000 * (t + 1);
                done.add(pool.submit(() -> {
                    byte[] content = new byte[size];
                    Arrays.fill(content, fill);
                    for (int i = 0; i < writes; i++) {
                        DurableFiles.replace(target, content);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);  // a failed write is thrown here
            }
        } finally {
            pool.shutdownNow();
        }
        byte[] content = Files.readAllBytes(target);
        assertThat(content.length).isIn(1_000, 2_000, 3_000, 4_000);
        for (byte b : content) {
            assertThat(b).isEqualTo(content[0]);
        }
        assertThat(content.length).isEqualTo(1_000 * (content[0] - 'a' + 1));
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void leftoversOfInterruptedWritesAreRemovedAndNothingElse() throws Exception {
        Files.writeString(dir.resolve("node.json.tmp"), "half");
        Process gone = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        gone.waitFor();
        Files.writeString(dir.resolve("peers.bin." + gone.pid() + "-0123456789abcdef.tmp"), "a dead writer's");
        long running = ProcessHandle.current().parent().orElseThrow().pid();
        Files.writeString(dir.resolve("network." + running + "-0123456789abcdef.tmp"), "a running writer's");
        Files.writeString(dir.resolve("peers.bin123456.tmp"), "an older version's random name");
        Files.writeString(dir.resolve("node.json"), "{}");
        Files.createDirectories(dir.resolve("sub.tmp"));
        assertThat(DurableFiles.removeLeftovers(dir)).isEqualTo(3);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("node.json", "sub.tmp",
                    "network." + running + "-0123456789abcdef.tmp");
        }
        assertThat(DurableFiles.removeLeftovers(dir.resolve("missing"))).isZero();
    }

    /**
     * A directory of many files written one after another (a node's outbox, a file per result) was
     * listed on every write, to clear dead writers' temporaries: each write cost the whole
     * directory. It is listed at this process's first write there, which clears a dead writer's
     * leftover of any file in it, and a running writer's stays; a thousand writes after it list it
     * at most once more per 10 s.
     */
    @Test
    void aProcessListsADirectoryForDeadWritersAtItsFirstWriteThereNotAtEveryWrite() throws Exception {
        Path outbox = Files.createDirectories(dir.resolve("outbox"));
        Process gone = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        gone.waitFor();
        Path dead = Files.writeString(outbox.resolve("r1.result." + gone.pid() + "-0123456789abcdef.tmp"), "a dead writer's");
        long running = ProcessHandle.current().parent().orElseThrow().pid();
        Path live = Files.writeString(outbox.resolve("r2.result." + running + "-0123456789abcdef.tmp"), "a running writer's");

        long start = System.nanoTime();
        DurableFiles.replace(outbox.resolve("r3.result"), "3".getBytes());
        assertThat(dead).as("a dead writer's leftover of another file, after the first write there").doesNotExist();
        assertThat(live).as("a running writer's temporary file").exists();
        assertThat(DurableFiles.listingsOf(outbox)).isEqualTo(1);

        for (int i = 0; i < 1_000; i++) {
            DurableFiles.replace(outbox.resolve("n" + i + ".result"), Integer.toString(i).getBytes());
        }
        long tens = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) / 10;
        assertThat(DurableFiles.listingsOf(outbox)).as("listings in %d s of 1001 writes", tens * 10).isLessThanOrEqualTo(2 + (int) tens);
        try (Stream<Path> files = Files.list(outbox)) {
            assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")).map(p -> p.getFileName().toString()))
                    .containsExactly(live.getFileName().toString());
        }
    }

    /**
     * A writer killed before its rename whose pid a later, unrelated process took (after a long run,
     * or a container's restart): its pid alone says it runs, so its temporary file stayed until that
     * process exited. Its name carries the writer's start, which the later process does not share,
     * so the next write there removes it; a running writer's, named with its own start, stays.
     */
    @Test
    void aDeadWritersTemporaryFileWhosePidALaterProcessTookIsRemovedAndARunningWritersIsKept() throws Exception {
        Process later = new ProcessBuilder("sleep", "120").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long start = ProcessStarts.of(later.pid()).orElseThrow();
            Path reused = Files.writeString(dir.resolve("network." + later.pid() + "-" + (start - 1) + "-0123456789abcdef.tmp"),
                    "a dead writer's, its pid taken since");
            Path running = Files.writeString(dir.resolve("peers.bin." + later.pid() + "-" + start + "-0123456789abcdef.tmp"),
                    "a running writer's");
            DurableFiles.replace(dir.resolve("node.json"), "{}".getBytes());
            assertThat(reused).as("the leftover of a writer whose pid a later process took").doesNotExist();
            assertThat(running).as("the temporary file of a running writer").exists();

            Path again = Files.writeString(dir.resolve("network." + later.pid() + "-" + (start + 1) + "-0123456789abcdef.tmp"), "");
            assertThat(DurableFiles.removeLeftovers(dir)).as("removed at the directory owner's start").isEqualTo(1);
            assertThat(again).doesNotExist();
            assertThat(running).exists();
        } finally {
            later.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Each directory a process wrote into was remembered for good (its last listing for dead
     * writers): a long-running node or coordinator writing into ever new directories grew without
     * bound. Past {@link DurableFiles#MAX_LISTINGS} the least recently written is forgotten, and a
     * directory listed again after that keeps what this process is writing there meanwhile.
     */
    @Test
    void aProcessRemembersListingsOfABoundedNumberOfDirectoriesAndAForgottenOnesListingKeepsItsOwnWrites()
            throws Exception {
        Path slow = Files.createDirectories(dir.resolve("slow"));
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> slowWrite = pool.submit(() -> {
                DurableFiles.replace(slow.resolve("a.result"), out -> {
                    out.write("half".getBytes());
                    writing.countDown();
                    try {
                        finish.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    out.write(" and whole".getBytes());
                });
                return null;
            });
            assertThat(writing.await(60, TimeUnit.SECONDS)).isTrue();
            Object held = DurableFiles.turnOf(slow.resolve("a.result"));
            for (int i = 0, written = 0; written < DurableFiles.MAX_LISTINGS + 100; i++) {
                Path x = Files.createDirectories(dir.resolve("d" + i)).resolve("x");
                if (DurableFiles.turnOf(x) != held) {  // the slow write holds its turn throughout
                    DurableFiles.replace(x, new byte[] {(byte) i});
                    written++;
                }
            }
            assertThat(DurableFiles.listingsRemembered()).isLessThanOrEqualTo(DurableFiles.MAX_LISTINGS);
            assertThat(DurableFiles.listingsOf(slow)).as("the slow directory's listing, forgotten").isZero();

            Path b = slow.resolve("b.result");
            for (int i = 0; DurableFiles.turnOf(b) == held; i++) {
                b = slow.resolve("b" + i + ".result");
            }
            DurableFiles.replace(b, "b".getBytes());
            assertThat(DurableFiles.listingsOf(slow)).as("listed again at its next write").isEqualTo(1);
            finish.countDown();
            slowWrite.get(60, TimeUnit.SECONDS);
            assertThat(Files.readString(slow.resolve("a.result"))).isEqualTo("half and whole");
            assertThat(Files.readString(b)).isEqualTo("b");
        } finally {
            finish.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void moveForcesBothDirectoriesAndReplaces() throws IOException {
        Path from = Files.writeString(dir.resolve("a.result"), "result");
        Path refused = Files.createDirectories(dir.resolve("refused"));
        Files.writeString(refused.resolve("a.result"), "older");
        DurableFiles.move(from, refused.resolve("a.result"));
        assertThat(Files.readString(refused.resolve("a.result"))).isEqualTo("result");
        assertThat(from).doesNotExist();
        DurableFiles.forceDirectory(dir);
        DurableFiles.delete(refused.resolve("a.result"));
        assertThat(refused.resolve("a.result")).doesNotExist();
    }
}
