package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static dev.rhizome.node.git.NodeRepositoryTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ConfigConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit a node says it holds survives a power loss: the directories JGit's renames made its
 * pack and its refs visible in are forced, the pack's before any ref names it, the refs' before
 * the import returns (and its caller tells a peer or the coordinator). The forces are real; a
 * recorder notes each with what the repository held on disk at that moment.
 */
class RepoSyncTest {
    @TempDir
    Path tmp;

    /** One force: the directory, and the repository's packs and commit refs as they were then. */
    record Forced(Path dir, Set<String> packs, Set<String> refs) {
    }

    /** Forces for real, noting the order and the state at each. */
    static final class Recorder implements RepoSync.DirectoryForce {
        final Path gitDir;
        final List<Forced> forced = new ArrayList<>();

        Recorder(Path gitDir) {
            this.gitDir = gitDir;
        }

        @Override
        public synchronized void force(Path dir) throws IOException {
            DurableFiles.forceDirectory(dir);
            forced.add(new Forced(gitDir.relativize(dir), names(gitDir.resolve("objects/pack")),
                    names(gitDir.resolve(NodeRepository.COMMIT_REFS))));
        }

        synchronized List<Forced> since(int from) {
            return List.copyOf(forced.subList(from, forced.size()));
        }

        synchronized int count() {
            return forced.size();
        }

        static Set<String> names(Path dir) throws IOException {
            if (!Files.isDirectory(dir)) {
                return Set.of();
            }
            try (Stream<Path> files = Files.list(dir)) {
                return files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
            }
        }
    }

    private static int indexOf(List<Forced> forced, String dir) {
        for (int i = 0; i < forced.size(); i++) {
            if (forced.get(i).dir().toString().equals(dir)) {
                return i;
            }
        }
        return -1;
    }

    private static final String PACKS = "objects/pack";
    private static final String COMMITS = "refs/rhizome/commits";

    @Test
    void anImportedPackIsOnDiskBeforeItsRefsAndTheRefsBeforeTheImportReturns() throws Exception {
        Path gitDir = tmp.resolve("target.git");
        Recorder recorder = new Recorder(gitDir.toAbsolutePath());
        try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"));
             NodeRepository target = NodeRepository.open(gitDir, recorder)) {
            String seed = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            String tip = source.commitFiles(seed, Map.of("train.py", text("lr = 0.2\n")), "raise lr", AUTHOR);
            int before = recorder.count();
            Set<String> packsBefore = Recorder.names(gitDir.resolve(PACKS));

            assertThat(target.importBundle(source.bundle(tip, List.of()).path(), tip, 1 << 20)).isEqualTo(tip);

            // what the recorder saw by the time the import returned
            List<Forced> forced = recorder.since(before);
            int packs = indexOf(forced, PACKS);
            int refs = indexOf(forced, COMMITS);
            assertThat(packs).as("objects/pack forced during the import: %s", forced).isGreaterThanOrEqualTo(0);
            assertThat(refs).as("the commit refs' directory forced during the import: %s", forced).isGreaterThan(packs);
            // at the pack directory's force the new pack was in it and no ref named its commits yet
            assertThat(forced.get(packs).packs()).as("the pack moved in").isNotEqualTo(packsBefore)
                    .anyMatch(n -> n.endsWith(".idx")).anyMatch(n -> n.endsWith(".pack"));
            assertThat(forced.get(packs).refs()).doesNotContain(seed, tip);
            // at the refs' directory's force every ref the import wrote was there
            assertThat(forced.get(refs).refs()).contains(seed, tip);
            // JGit forces each ref and loose object file it writes before renaming it
            assertThat(target.repository().getConfig().getBoolean(ConfigConstants.CONFIG_CORE_SECTION, "fsyncObjectFiles", false)).isTrue();
            assertThat(target.repository().getConfig().getBoolean(ConfigConstants.CONFIG_CORE_SECTION, "fsyncRefFiles", false)).isTrue();
        }
    }

    @Test
    void aCommitMadeHereHasItsLooseObjectsOnDiskBeforeItsRefs() throws Exception {
        Path gitDir = tmp.resolve("made.git");
        Recorder recorder = new Recorder(gitDir.toAbsolutePath());
        try (NodeRepository repo = NodeRepository.open(gitDir, recorder)) {
            int before = recorder.count();
            String commit = repo.commitFiles(null, Map.of("train.py", text("lr = 0.3\n")), "seed", AUTHOR);

            List<Forced> forced = recorder.since(before);
            int commitObject = indexOf(forced, "objects/" + commit.substring(0, 2));
            int refs = indexOf(forced, COMMITS);
            int own = indexOf(forced, "refs/rhizome/own");
            assertThat(commitObject).as("the commit's loose object directory forced: %s", forced).isGreaterThanOrEqualTo(0);
            assertThat(Files.exists(gitDir.resolve("objects").resolve(commit.substring(0, 2)).resolve(commit.substring(2)))).isTrue();
            assertThat(forced.get(commitObject).refs()).doesNotContain(commit);
            assertThat(refs).isGreaterThan(commitObject);
            assertThat(forced.get(refs).refs()).contains(commit);
            assertThat(own).isGreaterThan(refs);
        }
    }

    @Test
    void droppedRefsAreOnDiskBeforeTheRepackDeletesWhatTheyHeld() throws Exception {
        Path gitDir = tmp.resolve("pruned.git");
        Recorder recorder = new Recorder(gitDir.toAbsolutePath());
        try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"));
             NodeRepository target = NodeRepository.open(gitDir, recorder)) {
            String seed = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);
            Set<String> packsHeld = Recorder.names(gitDir.resolve(PACKS));
            int before = recorder.count();

            RepoCompactor.Outcome pruned = new RepoCompactor(target, Duration.ZERO).prune(1, Set.of(), Set.of());

            assertThat(pruned.dropped()).containsExactly(seed);
            assertThat(Recorder.names(gitDir.resolve(PACKS))).as("the repack deleted the dropped commit's pack").isNotEqualTo(packsHeld);
            List<Forced> forced = recorder.since(before);
            // the commit refs' directory, or, where JGit removed it once empty, the nearest one left
            int refs = -1;
            for (int i = 0; i < forced.size() && refs < 0; i++) {
                if (forced.get(i).dir().startsWith("refs")) {
                    refs = i;
                }
            }
            int packedRefs = indexOf(forced, "");
            assertThat(refs).as("the refs' directory forced after the drop: %s", forced).isGreaterThanOrEqualTo(0);
            assertThat(Files.isDirectory(gitDir.resolve(forced.get(refs).dir()))).isTrue();
            assertThat(packedRefs).as("packed-refs' directory forced after the drop").isGreaterThan(refs);
            // forced with the ref gone and the pack still there: before the repack
            assertThat(forced.get(refs).refs()).doesNotContain(seed);
            assertThat(forced.get(packedRefs).packs()).isEqualTo(packsHeld);
        }
    }

    /**
     * JGit's repack forces the files it writes and not the directory its renames changed: a power
     * loss after the old packs' (and packed loose objects') deletions reached the disk, and before
     * the new pack's rename did, lost every object. The pack directory is forced with the new pack
     * in it and everything old still there.
     */
    @Test
    void aRepacksNewPackIsOnDiskBeforeAnythingOldIsDeleted() throws Exception {
        Path gitDir = tmp.resolve("repacked.git");
        Recorder recorder = new Recorder(gitDir.toAbsolutePath());
        try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"));
             NodeRepository target = NodeRepository.open(gitDir, recorder)) {
            String seed = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            String tip = source.commitFiles(seed, Map.of("train.py", text("lr = 0.2\n")), "raise lr", AUTHOR);
            target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);
            target.importBundle(source.bundle(tip, List.of(seed)).path(), tip, 1 << 20);
            String own = target.commitFiles(tip, Map.of("notes.txt", text("made here\n")), "own", AUTHOR);
            Set<String> packsBefore = Recorder.names(gitDir.resolve(PACKS));
            Path looseCommit = gitDir.resolve("objects").resolve(own.substring(0, 2)).resolve(own.substring(2));
            assertThat(packsBefore).filteredOn(n -> n.endsWith(".pack")).hasSize(2);
            assertThat(looseCommit).exists();
            int before = recorder.count();

            RepoCompactor.Outcome outcome = new RepoCompactor(target, Duration.ZERO).repackIfNeeded(1);

            assertThat(outcome.repacked()).isTrue();
            Set<String> packsAfter = Recorder.names(gitDir.resolve(PACKS));
            assertThat(packsAfter).as("the old packs deleted").doesNotContainAnyElementsOf(
                    packsBefore.stream().filter(n -> n.endsWith(".pack")).toList());
            assertThat(looseCommit).as("the packed loose object deleted").doesNotExist();
            String newPack = packsAfter.stream().filter(n -> n.endsWith(".pack")).findFirst().orElseThrow();
            String newIndex = newPack.replace(".pack", ".idx");
            List<Forced> forced = recorder.since(before);
            int packs = -1;
            for (int i = 0; i < forced.size() && packs < 0; i++) {
                if (forced.get(i).dir().toString().equals(PACKS) && forced.get(i).packs().contains(newIndex)) {
                    packs = i;
                }
            }
            assertThat(packs).as("objects/pack forced with the new pack in it: %s", forced).isGreaterThanOrEqualTo(0);
            assertThat(forced.get(packs).packs()).as("forced before any old pack went").contains(newPack, newIndex)
                    .containsAll(packsBefore);
            for (String commit : List.of(seed, tip, own)) {
                assertThat(target.has(commit)).isTrue();
            }
            assertThat(target.readFile(own, "notes.txt")).isPresent();
        }
    }

    /** A pack directory that cannot be forced (an I/O error) stops the repack before it deletes anything old. */
    @Test
    void aRepackWhosePackDirectoryCannotBeForcedDeletesNothing() throws Exception {
        Path gitDir = tmp.resolve("unforced.git");
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        RepoSync.DirectoryForce force = dir -> {
            if (failing.get() && dir.endsWith(PACKS)) {
                throw new IOException("Input/output error");
            }
            DurableFiles.forceDirectory(dir);
        };
        try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"));
             NodeRepository target = NodeRepository.open(gitDir, force)) {
            String seed = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            String tip = source.commitFiles(seed, Map.of("train.py", text("lr = 0.2\n")), "raise lr", AUTHOR);
            target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);
            target.importBundle(source.bundle(tip, List.of(seed)).path(), tip, 1 << 20);
            Set<String> packsBefore = new TreeSet<>(Recorder.names(gitDir.resolve(PACKS)));
            packsBefore.removeIf(n -> !n.endsWith(".pack"));
            failing.set(true);

            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> new RepoCompactor(target, Duration.ZERO).repackIfNeeded(1))
                    .isInstanceOf(IOException.class).hasMessageContaining("cannot force its new pack")
                    .hasMessageContaining("Input/output error");

            assertThat(Recorder.names(gitDir.resolve(PACKS))).as("every old pack kept").containsAll(packsBefore);
            failing.set(false);
            assertThat(target.readFile(tip, "train.py")).hasValueSatisfying(b -> assertThat(b).isEqualTo(text("lr = 0.2\n")));
            assertThat(new RepoCompactor(target, Duration.ZERO).repackIfNeeded(1).after().packs()).isEqualTo(1);
            assertThat(target.readFile(seed, "train.py")).isPresent();
        }
    }
}
