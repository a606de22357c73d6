package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.KillableChild;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.files.ProcessStarts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.ObjectWalk;
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

    /**
     * The child: commits a new file into the workspace repository at args[1] and imports it into the
     * node's repository at args[0] ({@link NodeRepository#importFrom}, as an agent's submit does),
     * over and over until killed, printing "N COMMIT" once each import returned.
     */
    public static final class Importer {
        public static void main(String[] args) throws Exception {
            Path workspaceDir = Path.of(args[1]);
            try (NodeRepository node = NodeRepository.open(Path.of(args[0]));
                    NodeRepository workspace = NodeRepository.open(workspaceDir)) {
                String parent = null;
                for (int i = 0; ; i++) {
                    parent = workspace.commitFiles(parent, Map.of("f" + i + ".bin", importedBlob(i)), "c" + i, AUTHOR);
                    node.importFrom(workspaceDir, parent);
                    System.out.println(i + " " + parent);
                    System.out.flush();
                }
            }
        }
    }

    /**
     * The child: the janitor's prune, over and over until killed. Each round fetches a new commit
     * (on the seed, from the source repository at args[1]) into the node's repository at args[0]
     * and prunes it to nothing but the seed and that commit, giving up the one before: "held C FILE"
     * once the new commit is imported and protected, "dropping" as the refs of the others go.
     */
    public static final class Pruner {
        public static void main(String[] args) throws Exception {
            try (NodeRepository node = NodeRepository.open(Path.of(args[0]));
                    NodeRepository source = NodeRepository.open(Path.of(args[1]))) {
                String seed = source.commitFiles(null, Map.of("seed.txt", "seed\n".getBytes()), "seed", AUTHOR);
                node.importBundle(source.bundle(seed, List.of()).path(), seed, 64 << 20);
                System.out.println("held " + seed + " seed.txt");
                RepoCompactor compactor = new RepoCompactor(node, Duration.ZERO);
                for (int i = 0; ; i++) {
                    String commit = source.commitFiles(seed, Map.of("r" + i + ".bin", importedBlob(i)), "r" + i, AUTHOR);
                    node.importBundle(source.bundle(commit, List.of(seed)).path(), commit, 64 << 20);
                    System.out.println("held " + commit + " r" + i + ".bin");
                    System.out.flush();
                    compactor.prune(1, Set.of(seed, commit), Set.of(), dropped -> {
                        System.out.println("dropping");
                        System.out.flush();
                    });
                }
            }
        }
    }

    /**
     * A node killed while a workspace's commit is being imported (its pack half written into the
     * repository, the bundle it came in still in the temporary directory): the next open loses no
     * commit an import returned, imports again, and the next start deletes the bundle the kill left
     * ({@link TempBundles}), which before stayed until the system's temporary-file cleaner ran.
     */
    @Test
    void anImportKilledMidwayLosesNoImportedCommitAndItsBundleGoesAtTheNextStart() throws Exception {
        Path dir = tmp.resolve("repo.git");
        Path workspace = tmp.resolve("workspace.git");
        Path childTmp = Files.createDirectories(tmp.resolve("child-tmp"));
        Map<Integer, String> imported = new ConcurrentHashMap<>();
        boolean landed = false;
        for (int attempt = 0; attempt < 5 && !landed; attempt++) {
            landed = killDuringImport(dir, workspace, childTmp, imported);
        }
        assertThat(landed).as("the kill landed during an import, its bundle left in the temporary directory").isTrue();
        assertThat(imported).as("imports returned before the kill").isNotEmpty();

        assertThat(TempBundles.removeLeftovers(childTmp)).as("the killed importer's bundle").hasSize(1);
        try (Stream<Path> left = Files.list(childTmp)) {
            assertThat(left.toList()).as("left in the temporary directory").isEmpty();
        }
        try (NodeRepository repo = NodeRepository.open(dir)) {
            for (var e : imported.entrySet()) {
                assertThat(repo.readFile(e.getValue(), "f" + e.getKey() + ".bin")).as("imported commit %s", e.getValue())
                        .hasValueSatisfying(b -> assertThat(b).isEqualTo(importedBlob(e.getKey())));
            }
            try (NodeRepository ws = NodeRepository.open(workspace)) {
                String after = ws.commitFiles(null, Map.of("after.txt", "after the kill\n".getBytes()), "after", AUTHOR);
                assertThat(repo.importFrom(workspace, after)).isEqualTo(after);
                assertThat(repo.readFile(after, "after.txt")).isPresent();
            }
        }
    }

    /**
     * A live writer's bundle stays; a dead one's goes, and so does one whose pid now names a process
     * started after the bundle was last written (the pid used again: not its writer). Files of
     * another name (an older node's, without the pid) are not looked at.
     */
    /**
     * A node killed while its janitor gives up held commits (their refs going, then the repack): the
     * repository opens, the commits it was told to keep are whole, every commit it still holds has
     * its whole history, and the next prune runs. Not run under a kill until 2026-12-03.
     */
    @Test
    void aPruneKilledMidwayLosesNoHeldCommitAndTheNextOneRuns() throws Exception {
        Path dir = tmp.resolve("repo.git");
        Map<String, String> held = new ConcurrentHashMap<>();  // commit -> its file, in the order printed
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger drops = new AtomicInteger();
        KillableChild child = KillableChild.start(Pruner.class, List.of(), line -> {
            String[] parts = line.split(" ");
            if (parts[0].equals("held")) {
                held.put(parts[1], parts[2]);
                order.add(parts[1]);
            } else if (parts[0].equals("dropping")) {
                drops.incrementAndGet();
            }
        }, dir.toString(), tmp.resolve("source.git").toString());
        child.killWhen(() -> drops.get() >= 3, Duration.ofMinutes(3), "pruner");
        assertThat(drops.get()).as("killed as its third prune gave commits up").isGreaterThanOrEqualTo(3);
        String seed = order.get(0);
        String newest = order.get(order.size() - 1);
        backdateEverything(dir); // the restart comes later than the kill; young files may be another process's

        try (NodeRepository repo = NodeRepository.open(dir)) {
            for (String keep : List.of(seed, newest)) {
                assertThat(repo.readFile(keep, held.get(keep))).as("kept commit %s", keep).isPresent();
            }
            for (String commit : repo.commits()) {
                assertWhole(repo, commit);
            }
            RepoCompactor.Outcome outcome = new RepoCompactor(repo, Duration.ZERO).prune(1, Set.of(seed, newest), Set.of());
            assertThat(outcome.repacked()).as("the next prune ran").isTrue();
            assertThat(repo.commits()).containsExactlyInAnyOrder(seed, newest);
            assertThat(repo.readFile(newest, held.get(newest))).isPresent();
        }
    }

    /** Every object of {@code commit}'s history can be read: nothing it needs was deleted. */
    private static void assertWhole(NodeRepository repo, String commit) throws IOException {
        try (var reader = repo.repository().newObjectReader();
                var walk = new ObjectWalk(reader)) {
            walk.markStart(walk.parseCommit(ObjectId.fromString(commit)));
            for (var c = walk.next(); c != null; c = walk.next()) {
                reader.open(c).getSize();
            }
            for (var o = walk.nextObject(); o != null; o = walk.nextObject()) {
                reader.open(o).getSize();
            }
        }
    }

    @Test
    void onlyBundlesWhoseWriterIsGoneAreLeftovers() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Process younger = new ProcessBuilder("sleep", "60").start();
        try {
            Path mine = Files.createFile(tmp.resolve("rhizome-fetch-" + ProcessHandle.current().pid() + "-1.bundle"));
            Path gone = Files.createFile(tmp.resolve("rhizome-import-" + dead.pid() + "-2.bundle"));
            Path reused = Files.createFile(tmp.resolve("rhizome-fetch-" + younger.pid() + "-3.bundle"));
            Files.setLastModifiedTime(reused, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            // named with the writer's start (ticks from boot), as this version names them
            long youngerStart = ProcessStarts.of(younger.pid()).orElseThrow();
            Path living = Files.createFile(tmp.resolve("rhizome-import-" + younger.pid() + "-t" + youngerStart + "-6.bundle"));
            Files.setLastModifiedTime(living, FileTime.from(Instant.now().minus(Duration.ofHours(1))));  // a clock set since
            Path ofAnotherStart = Files.createFile(tmp.resolve("rhizome-fetch-" + younger.pid() + "-t" + (youngerStart - 1)
                    + "-7.bundle"));
            Path ofTheDead = Files.createFile(tmp.resolve("rhizome-fetch-" + dead.pid() + "-t1-8.bundle"));
            Path old = Files.createFile(tmp.resolve("rhizome-fetch-4.bundle"));
            Path other = Files.createFile(tmp.resolve("rhizome-fetch-" + dead.pid() + "-5.txt"));
            assertThat(TempBundles.removeLeftovers(tmp)).containsExactlyInAnyOrder(gone, reused, ofAnotherStart, ofTheDead);
            assertThat(mine).exists();
            assertThat(living).as("a living writer's, whatever its file's time").exists();
            assertThat(old).exists();
            assertThat(other).exists();
        } finally {
            younger.destroyForcibly().waitFor();
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

    /**
     * A repack killed with its new pack written whole to GC's temporary file (crash point
     * {@code repack-written}), the repository opened again at once, as a node restarted by its
     * supervisor does: the dead GC's temporary pack goes at that open, however young. It used to
     * stay (too young to tell from a running GC's) until packs piled up into the next repack.
     */
    @Test
    void aRepackKilledAtItsWrittenPackLeavesNothingAtAnOpenRightAfter() throws Exception {
        Path dir = tmp.resolve("repo.git");
        Map<String, Map.Entry<String, byte[]>> held = new HashMap<>();
        try (NodeRepository repo = NodeRepository.open(dir)) {
            Random random = new Random(12);
            String parent = null;
            for (int i = 0; i < 12; i++) {
                byte[] blob = new byte[128 * 1024];
                random.nextBytes(blob);
                parent = repo.commitFiles(parent, Map.of("f" + i + ".bin", blob), "c" + i, AUTHOR);
                held.put(parent, Map.entry("f" + i + ".bin", blob));
            }
        }
        Path pack = dir.resolve("objects").resolve("pack");
        KillableChild.start(Repacker.class, List.of("-Drhizome.crash-point=" + CrashPoints.REPACK_WRITTEN), line -> { },
                dir.toString()).killWhen(() -> !gcTemporaries(pack).isEmpty(), Duration.ofMinutes(3), "repacker");
        assertThat(gcTemporaries(pack)).as("the kill left the GC's temporary pack").isNotEmpty();

        try (NodeRepository repo = NodeRepository.open(dir)) {
            assertThat(dir.resolve(StaleGcLock.GC_PID)).as("the dead GC's gc.pid").doesNotExist();
            assertThat(leftovers(dir)).as("what the dead GC left, at an open right after the kill").isEmpty();
            RepoCompactor.Outcome outcome = new RepoCompactor(repo, Duration.ZERO).repackIfNeeded(-1);
            assertThat(outcome.repacked()).isTrue();
            for (var e : held.entrySet()) {
                assertThat(repo.readFile(e.getKey(), e.getValue().getKey())).as("commit %s", e.getKey())
                        .hasValueSatisfying(b -> assertThat(b).isEqualTo(e.getValue().getValue()));
            }
        }
    }

    /**
     * A repack killed with its new pack renamed in beside the old one and forced (crash point
     * {@code repack-moved}), nothing old deleted yet: every commit reads whole at the next open,
     * from the new pack or the old copies, and the next repack leaves one pack and no loose object.
     * Before round 35 nothing forced the pack directory at this moment (see {@code RepoSyncTest}).
     */
    @Test
    void aRepackKilledWithItsNewPackMovedInLosesNothing() throws Exception {
        Path dir = tmp.resolve("repo.git");
        Map<String, Map.Entry<String, byte[]>> held = new HashMap<>();
        try (NodeRepository repo = NodeRepository.open(dir)) {
            Random random = new Random(13);
            String parent = null;
            for (int i = 0; i < 8; i++) {
                if (i == 4) {  // half in an old pack, half loose: the repack replaces both
                    new RepoCompactor(repo, Duration.ZERO).repackIfNeeded(-1);
                }
                byte[] blob = new byte[64 * 1024];
                random.nextBytes(blob);
                parent = repo.commitFiles(parent, Map.of("f" + i + ".bin", blob), "c" + i, AUTHOR);
                held.put(parent, Map.entry("f" + i + ".bin", blob));
            }
        }
        Path pack = dir.resolve("objects").resolve("pack");
        List<String> oldPacks = packNames(pack);
        int loose = looseObjects(dir).size();
        assertThat(oldPacks).hasSize(1);
        assertThat(loose).isPositive();

        KillableChild.start(Repacker.class, List.of("-Drhizome.crash-point=" + CrashPoints.REPACK_MOVED), line -> { },
                dir.toString()).killWhen(() -> packNames(pack).size() == 2 && gcTemporaries(pack).isEmpty(),
                Duration.ofMinutes(3), "repacker");
        assertThat(packNames(pack)).as("the new pack beside the old one").hasSize(2).containsAll(oldPacks);
        assertThat(looseObjects(dir)).as("no loose object deleted yet").hasSize(loose);

        try (NodeRepository repo = NodeRepository.open(dir)) {
            for (var e : held.entrySet()) {
                assertThat(repo.readFile(e.getKey(), e.getValue().getKey())).as("commit %s", e.getKey())
                        .hasValueSatisfying(b -> assertThat(b).isEqualTo(e.getValue().getValue()));
            }
            RepoCompactor.Outcome outcome = new RepoCompactor(repo, Duration.ZERO).repackIfNeeded(-1);
            assertThat(outcome.repacked()).isTrue();
            assertThat(outcome.after().packs()).isEqualTo(1);
            assertThat(looseObjects(dir)).isEmpty();
            assertThat(leftovers(dir)).isEmpty();
            for (var e : held.entrySet()) {
                assertThat(repo.readFile(e.getKey(), e.getValue().getKey())).as("commit %s", e.getKey())
                        .hasValueSatisfying(b -> assertThat(b).isEqualTo(e.getValue().getValue()));
            }
        }
    }

    /** Names of the packs with an index beside them: a pack renamed in whole. */
    private static List<String> packNames(Path pack) {
        try (Stream<Path> files = Files.list(pack)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".idx")).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    private static List<Path> gcTemporaries(Path pack) {
        try (Stream<Path> files = Files.list(pack)) {
            return files.filter(p -> p.getFileName().toString().startsWith("gc_")).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of(); // not made yet, or a file renamed during the listing
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
        try (var ch = FileChannel.open(pid, StandardOpenOption.WRITE);
             var lock = ch.lock()) {
            assertThat(StaleGcLock.isStale(pid)).as("held by a GC of this process").isFalse();
        }
    }

    /** Starts the repacker and kills it with SIGKILL as soon as a GC holds gc.pid; retries if it was between two GCs. */
    private static void killDuringGc(Path dir) throws Exception {
        Path pid = dir.resolve(StaleGcLock.GC_PID);
        for (int attempt = 0; attempt < 5; attempt++) {
            KillableChild.start(Repacker.class, List.of(), line -> { }, dir.toString())
                    .killWhen(() -> Files.exists(pid), Duration.ofMinutes(2), "repacker");
            if (Files.exists(pid)) {
                return;
            }
        }
    }

    private static byte[] importedBlob(int i) {
        byte[] blob = new byte[512 * 1024];  // incompressible: each import takes a while
        new Random(i).nextBytes(blob);
        return blob;
    }

    /**
     * Starts the importer and kills it with SIGKILL once an import writes its pack into the
     * repository; whether its bundle was left behind (the kill landed inside the import).
     */
    private static boolean killDuringImport(Path dir, Path workspace, Path childTmp, Map<Integer, String> imported)
            throws Exception {
        KillableChild child = KillableChild.start(Importer.class, List.of("-Djava.io.tmpdir=" + childTmp), line -> {
            String[] parts = line.split(" ");
            imported.put(Integer.parseInt(parts[0]), parts[1]);
        }, dir.toString(), workspace.toString());
        int before = imported.size();
        child.killWhen(() -> imported.size() > before && packIncoming(dir), Duration.ofMinutes(2), "importer");
        try (Stream<Path> left = Files.list(childTmp)) {
            return left.anyMatch(p -> p.getFileName().toString().startsWith("rhizome-import-" + child.pid() + "-"));
        }
    }

    /** Whether an import is writing its pack: in the repository's pack directory, or a {@link Quarantine}'s. */
    private static boolean packIncoming(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith("incoming_"));
        } catch (IOException | UncheckedIOException e) {
            return false;  // not made yet, or a file renamed during the listing
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
