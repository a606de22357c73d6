package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed (SIGKILL) in the middle of a repack, in a real child process: the next open must
 * leave the repository able to repack again and lose no commit. Without {@link StaleGcLock}, the
 * {@code gc.pid} the kill leaves makes JGit skip every GC for 12 hours.
 */
class GitKillTest {
    @TempDir
    Path tmp;

    /** The child: repacks the repository at args[0] over and over until killed. */
    public static final class Repacker {
        public static void main(String[] args) throws Exception {
            try (NodeRepository repo = NodeRepository.open(Path.of(args[0]))) {
                RepoCompactor compactor = new RepoCompactor(repo, Duration.ZERO);
                while (true) {
                    compactor.repackIfNeeded(-1); // every time, loose objects or packs
                }
            }
        }
    }

    @Test
    void aRepackKilledMidwayLeavesNothingThatStopsTheNextOne() throws Exception {
        Path dir = tmp.resolve("repo.git");
        Map<String, Map.Entry<String, byte[]>> held = new HashMap<>();
        try (NodeRepository repo = NodeRepository.open(dir)) {
            Random random = new Random(11);
            String parent = null;
            for (int i = 0; i < 40; i++) {
                byte[] blob = new byte[256 * 1024];  // incompressible: each repack takes a while
                random.nextBytes(blob);
                parent = repo.commitFiles(parent, Map.of("f" + i + ".bin", blob), "c" + i, AUTHOR);
                held.put(parent, Map.entry("f" + i + ".bin", blob));
            }
        }

        killDuringGc(dir);
        assertThat(dir.resolve(StaleGcLock.GC_PID)).as("the kill landed during a GC").exists();
        backdateEverything(dir); // the restart comes later than the kill; young files may be another process's

        try (NodeRepository repo = NodeRepository.open(dir)) {
            assertThat(dir.resolve(StaleGcLock.GC_PID)).doesNotExist();
            assertThat(leftovers(dir)).isEmpty();
            // New loose objects, which only a GC that really runs packs away.
            String last = repo.commitFiles(null, Map.of("new.txt", "after the kill\n".getBytes()), "new", AUTHOR);
            RepoCompactor.Outcome outcome = new RepoCompactor(repo, Duration.ZERO).repackIfNeeded(-1);
            assertThat(outcome.repacked()).isTrue();
            assertThat(outcome.after().packs()).isEqualTo(1);
            assertThat(looseObjects(dir)).as("loose objects left: the GC did nothing").isEmpty();
            for (var e : held.entrySet()) {
                assertThat(repo.readFile(e.getKey(), e.getValue().getKey())).as("commit %s", e.getKey())
                        .hasValueSatisfying(b -> assertThat(b).isEqualTo(e.getValue().getValue()));
            }
            assertThat(repo.readFile(last, "new.txt")).isPresent();
        }
    }

    @Test
    void staleRefLocksGoAtOpenAndYoungOnesStay() throws Exception {
        Path dir = tmp.resolve("repo.git");
        try (NodeRepository repo = NodeRepository.open(dir)) {
            repo.commitFiles(null, Map.of("a.txt", "a\n".getBytes()), "a", AUTHOR);
        }
        Path packedRefs = dir.resolve("packed-refs.lock");
        Path ownRef = dir.resolve(NodeRepository.OWN_REFS + "0".repeat(40) + ".lock");
        Path young = dir.resolve(NodeRepository.COMMIT_REFS + "1".repeat(40) + ".lock");
        for (Path lock : List.of(packedRefs, ownRef, young)) {
            Files.createDirectories(lock.getParent());
            Files.write(lock, new byte[0]);
        }
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofMinutes(5)));
        Files.setLastModifiedTime(packedRefs, old);
        Files.setLastModifiedTime(ownRef, old);

        try (NodeRepository repo = NodeRepository.open(dir)) {
            assertThat(packedRefs).doesNotExist();
            assertThat(ownRef).doesNotExist();
            assertThat(young).as("a lock this young may be another process's write in progress").exists();
            String b = repo.commitFiles(null, Map.of("b.txt", "b\n".getBytes()), "b", AUTHOR);
            assertThat(repo.ownCommits()).contains(b);
        }
    }

    @Test
    void aGcPidWhoseLockNoProcessHoldsIsStaleAndOneHeldIsNot() throws Exception {
        Path pid = tmp.resolve("gc.pid");
        Files.writeString(pid, "");
        Files.setLastModifiedTime(pid, FileTime.from(Instant.now().minus(Duration.ofMinutes(1))));
        assertThat(StaleGcLock.isStale(pid)).isTrue();
        try (var ch = java.nio.channels.FileChannel.open(pid, java.nio.file.StandardOpenOption.WRITE);
             var lock = ch.lock()) {
            assertThat(StaleGcLock.isStale(pid)).as("held by a GC of this process").isFalse();
        }
    }

    /** Starts the repacker and kills it with SIGKILL as soon as a GC holds gc.pid; retries if it was between two GCs. */
    private static void killDuringGc(Path dir) throws Exception {
        Path pid = dir.resolve(StaleGcLock.GC_PID);
        for (int attempt = 0; attempt < 5; attempt++) {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                    Repacker.class.getName(), dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                long giveUp = System.nanoTime() + Duration.ofMinutes(2).toNanos(); // a hang, not a speed check
                while (child.isAlive() && !Files.exists(pid) && System.nanoTime() < giveUp) {
                    Thread.onSpinWait();
                }
                assertThat(child.isAlive()).as("the repacker died by itself").isTrue();
            } finally {
                child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook runs, as after kill -9
                child.waitFor();
            }
            if (Files.exists(pid)) {
                return;
            }
        }
    }

    private static void backdateEverything(Path dir) throws IOException {
        FileTime before = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.setLastModifiedTime(f, before);
                }
            }
        }
    }

    private static List<Path> leftovers(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir.resolve("objects"))) {
            files.filter(f -> {
                String n = f.getFileName().toString();
                return n.endsWith("_tmp") || n.startsWith("incoming_") || n.startsWith("insert_") || n.startsWith("noz");
            }).forEach(out::add);
        }
        return out;
    }

    private static List<Path> looseObjects(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("objects"))) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> f.getParent().getFileName().toString().matches("[0-9a-f]{2}")).toList();
        }
    }
}
