package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static dev.rhizome.node.git.NodeRepositoryTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleImportTest {
    @TempDir
    Path tmp;

    SenderAndReceiver repos;
    NodeRepository source;
    NodeRepository target;
    String seed;
    String experiment;

    @BeforeEach
    void setUp() throws IOException {
        repos = new SenderAndReceiver(tmp);
        source = repos.source();
        target = repos.target();
        seed = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n"), "README.md", text("seed")), "seed", AUTHOR);
        experiment = source.commitFiles(seed, Map.of("train.py", text("lr = 0.2\n")), "raise lr", AUTHOR);
    }

    @AfterEach
    void tearDown() {
        repos.close();
    }

    @Test
    void fullBundleCarriesWholeHistoryAndRefsEveryCommit() throws Exception {
        BundleFile bundle = source.bundle(experiment, List.of());

        assertThat(bundle.tip()).isEqualTo(experiment);
        assertThat(bundle.prerequisites()).isEmpty();
        assertThat(bundle.size()).isEqualTo(Files.size(bundle.path()));
        assertThat(target.importBundle(bundle.path(), experiment, 1 << 20)).isEqualTo(experiment);
        assertThat(target.commits()).containsExactlyInAnyOrder(seed, experiment);
        assertThat(target.readFile(experiment, "train.py")).hasValueSatisfying(b -> assertThat(b).isEqualTo(text("lr = 0.2\n")));
    }

    /**
     * A fetch names what it holds and the holder builds a thin bundle on it; a prune that gives the
     * prerequisite up while the bundle is on its way is this node's doing, and was scored against
     * the honest holder as a wrong bundle (-16). A prerequisite never held is still the sender's lie.
     */
    @Test
    void aPrerequisiteGivenUpHereWhileTheBundleWasOnItsWayIsThisNodesFailureNotTheSenders() throws Exception {
        target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);
        BundleFile thin = source.bundle(experiment, target.commits());
        assertThat(thin.prerequisites()).containsExactly(seed);
        RepoCompactor.Outcome pruned = new RepoCompactor(target, Duration.ZERO).prune(1, Set.of(), Set.of());
        assertThat(pruned.dropped()).containsExactly(seed);

        assertThatThrownBy(() -> target.importBundle(thin.path(), experiment, 1 << 20))
                .isInstanceOf(IOException.class).isNotInstanceOf(BundleException.class)
                .hasMessageContaining("prerequisite " + seed + " was given up here");
        try (NodeRepository never = NodeRepository.open(tmp.resolve("never.git"))) {
            assertThatThrownBy(() -> never.importBundle(thin.path(), experiment, 1 << 20))
                    .isInstanceOf(BundleException.class).hasMessage("missing prerequisite " + seed);
        }
    }

    /**
     * An import reads its bundle twice, the limits scan and then the parse under the write lock, and
     * parses only the header it judged: a file changed between the two reads is this machine's fault
     * (an {@link IOException}, its sender not blamed), and nothing of either bundle is taken. Without
     * the guard the second read's other tip was refused as the sender's wrong bundle.
     */
    @Test
    void aBundleFileChangedBetweenItsTwoReadsIsRefusedAsThisMachinesFaultAndTakesNothing() throws Exception {
        Path received = tmp.resolve("received.bundle");
        Files.copy(source.bundle(experiment, List.of()).path(), received);
        byte[] another = Files.readAllBytes(source.bundle(seed, List.of()).path());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread importing = new Thread(() -> {
            try {
                target.importBundle(received, experiment, 1 << 20);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        target.writeLock().lock();
        try {
            importing.start();
            // the first read holds the header and waits for the lock to judge its prerequisites
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> target.writeLock().hasQueuedThread(importing));
            // a new file in its place: the first read's open stream goes on over the bytes it began with
            Path replacement = tmp.resolve("replacement.bundle");
            Files.write(replacement, another);
            Files.move(replacement, received, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            target.writeLock().unlock();
        }
        importing.join();

        assertThat(failure.get()).isInstanceOf(IOException.class).isNotInstanceOf(BundleException.class)
                .hasMessageContaining("changed between its two reads");
        assertThat(target.has(experiment)).isFalse();
        assertThat(target.has(seed)).isFalse();
        assertThat(target.importBundle(source.bundle(experiment, List.of()).path(), experiment, 1 << 20)).isEqualTo(experiment);
    }

    @Test
    void aRefLockLeftByAProcessKilledMidImportDoesNotBlockTheCommitForever() throws Exception {
        Path refs = tmp.resolve("target.git").resolve(NodeRepository.COMMIT_REFS);
        Files.createDirectories(refs);
        Path stale = refs.resolve(experiment + ".lock");
        Files.writeString(stale, "");
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 600_000));

        assertThat(target.importBundle(source.bundle(experiment, List.of()).path(), experiment, 1 << 20)).isEqualTo(experiment);
        assertThat(target.has(experiment)).isTrue();
        assertThat(stale).doesNotExist();
    }

    @Test
    void thinBundleAssumesOnlyTheNearestCommitTheReceiverHolds() throws Exception {
        target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);
        String third = source.commitFiles(experiment, Map.of("notes.md", text("n")), "notes", AUTHOR);
        String unrelated = source.commitFiles(null, Map.of("x", text("x")), "unrelated root", AUTHOR);

        BundleFile thin = source.bundle(third, List.of(seed, experiment, unrelated, "f".repeat(40)));
        BundleFile full = source.bundle(third, List.of());

        assertThat(thin.prerequisites()).containsExactly(experiment);
        assertThat(thin.size()).isLessThan(full.size());
        assertThatThrownBy(() -> target.importBundle(thin.path(), third, 1 << 20))
                .isInstanceOf(BundleException.class).hasMessage("missing prerequisite " + experiment);

        BundleFile thinForTarget = source.bundle(third, target.commits());
        assertThat(thinForTarget.prerequisites()).containsExactly(seed);
        target.importBundle(thinForTarget.path(), third, 1 << 20);
        assertThat(target.commits()).containsExactlyInAnyOrder(seed, experiment, third);
    }

    @Test
    void aThinBundleOnAPrerequisiteAnotherInstanceImportedRefsOnlyWhatItBrought() throws Exception {
        try (NodeRepository beside = NodeRepository.open(tmp.resolve("target.git"))) {
            target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);

            BundleFile thin = source.bundle(experiment, List.of(seed));
            assertThat(beside.importBundle(thin.path(), experiment, 1 << 20)).isEqualTo(experiment);

            assertThat(beside.commits()).containsExactlyInAnyOrder(seed, experiment);
            assertThat(target.has(experiment)).isTrue();
            assertThat(beside.readFile(experiment, "README.md")).hasValueSatisfying(b -> assertThat(b).isEqualTo(text("seed")));
        }
    }

    @Test
    void bundlesAreCachedOnDiskByTipAndPrerequisites() throws Exception {
        BundleFile first = source.bundle(experiment, List.of(seed));
        BundleFile again = source.bundle(experiment, List.of(seed));
        assertThat(again.path()).isEqualTo(first.path());
        assertThat(again.sha256()).isEqualTo(first.sha256());

        source.close();
        source = repos.reopenSource();
        BundleFile afterRestart = source.bundle(experiment, List.of(seed));
        assertThat(afterRestart.path()).isEqualTo(first.path());
        assertThat(afterRestart.sha256()).isEqualTo(first.sha256());
        assertThat(afterRestart.size()).isEqualTo(first.size());
    }

    @Test
    void bundleWhoseTipIsNotTheClaimedCommitIsRefusedAndChangesNothing() throws Exception {
        BundleFile bundle = source.bundle(experiment, List.of());

        assertThatThrownBy(() -> target.importBundle(bundle.path(), seed, 1 << 20))
                .isInstanceOf(BundleException.class)
                .hasMessage("bundle tip is " + experiment + ", expected " + seed);
        assertThat(target.commits()).isEmpty();
        assertThat(target.repository().getObjectDatabase().has(ObjectId.fromString(experiment))).isFalse();
        assertThat(target.has(seed)).isFalse();
    }

    @Test
    void oversizedBundleIsRefusedBeforeReadingIt() throws Exception {
        BundleFile bundle = source.bundle(experiment, List.of());
        assertThatThrownBy(() -> target.importBundle(bundle.path(), experiment, bundle.size() - 1))
                .isInstanceOf(BundleException.class).hasMessageContaining("over the limit");
        assertThat(target.commits()).isEmpty();
    }

    @Test
    void garbageIsRefusedWithAClearError() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.bundle"), "# v3 git bundle\n@object-format=sha1\n\n");
        assertThatThrownBy(() -> target.importBundle(junk, experiment, 1 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("not a v2 git bundle");

        Path truncated = tmp.resolve("truncated.bundle");
        byte[] whole = Files.readAllBytes(source.bundle(experiment, List.of()).path());
        Files.write(truncated, Arrays.copyOf(whole, whole.length - 30));
        assertThatThrownBy(() -> target.importBundle(truncated, experiment, 1 << 20))
                .isInstanceOf(BundleException.class);
        assertThat(target.commits()).isEmpty();
    }

    @Test
    void bundleTipThatIsNotACommitIsRefused() throws Exception {
        ObjectId blob;
        try (var inserter = source.repository().newObjectInserter()) {
            blob = inserter.insert(org.eclipse.jgit.lib.Constants.OBJ_BLOB, text("not a commit"));
            inserter.flush();
        }
        Path bundle = tmp.resolve("blob.bundle");
        try (var out = Files.newOutputStream(bundle)) {
            var writer = new org.eclipse.jgit.transport.BundleWriter(source.repository());
            writer.include("refs/rhizome/commits/" + blob.name(), blob);
            writer.writeBundle(org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE, out);
        }
        assertThatThrownBy(() -> target.importBundle(bundle, blob.name(), 1 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("not a commit");
        assertThat(target.commits()).isEmpty();
    }

    @Test
    void aBundleInMemoryIsCheckedAsAFileIsAndKeptByteForByte() throws Exception {
        target.importBundle(source.bundle(seed, List.of()).path(), seed, 1 << 20);
        BundleFile thin = source.bundle(experiment, List.of(seed));
        byte[] bytes = Files.readAllBytes(thin.path());

        assertThatThrownBy(() -> target.importBundle(bytes, seed, 1 << 20))
                .isInstanceOf(BundleException.class).hasMessage("bundle tip is " + experiment + ", expected " + seed);
        assertThatThrownBy(() -> target.importBundle(bytes, experiment, bytes.length - 1))
                .isInstanceOf(BundleException.class).hasMessageContaining("over the limit");
        assertThatThrownBy(() -> target.importBundle(Arrays.copyOf(bytes, bytes.length - 30), experiment, 1 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("refused while unpacking");
        try (NodeRepository empty = NodeRepository.open(tmp.resolve("empty.git"))) {
            assertThatThrownBy(() -> empty.importBundle(bytes, experiment, 1 << 20))
                    .isInstanceOf(BundleException.class).hasMessage("missing prerequisite " + seed);
        }
        assertThat(target.commits()).containsExactly(seed);

        assertThat(target.importBundle(bytes, experiment, 1 << 20)).isEqualTo(experiment);
        assertThat(target.commits()).containsExactlyInAnyOrder(seed, experiment);
        BundleFile kept = target.keepReceivedBundle(bytes, experiment);
        assertThat(Files.readAllBytes(kept.path())).isEqualTo(bytes);
        assertThat(kept.sha256()).isEqualTo(thin.sha256());
        assertThat(kept.prerequisites()).containsExactly(seed);
        assertThat(target.bundleWithDigest(experiment, List.of(seed), thin.sha256())).hasValueSatisfying(
                b -> assertThat(b.path()).isEqualTo(kept.path()));
    }

    @Test
    void bytesAfterThePackAreRefused() throws Exception {
        byte[] whole = Files.readAllBytes(source.bundle(experiment, List.of()).path());
        byte[] padded = Arrays.copyOf(whole, whole.length + 1);
        assertThatThrownBy(() -> target.importBundle(padded, experiment, 1 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("refused while unpacking");
        assertThat(target.commits()).isEmpty();
    }

    @Test
    void aCommitWhoseObjectsArePresentWithoutItsRefIsImportedAndRefedAgain() throws Exception {
        // As after an import cut short between unpacking and writing refs: objects, no ref.
        byte[] whole = Files.readAllBytes(source.bundle(experiment, List.of()).path());
        try (var in = new ByteArrayInputStream(whole); var inserter = target.repository().newObjectInserter()) {
            GitBundleHeader.read(in);
            inserter.newPackParser(in).parse(org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE);
            inserter.flush();
        }
        assertThat(target.commits()).isEmpty();
        assertThat(target.has(experiment)).as("objects without a ref are not held").isFalse();

        assertThat(target.importBundle(whole, experiment, 1 << 20)).isEqualTo(experiment);
        assertThat(target.commits()).containsExactlyInAnyOrder(seed, experiment);
    }

    @Test
    void anImportRefsParentsBeforeChildren() throws Exception {
        String third = source.commitFiles(experiment, Map.of("notes.md", text("n")), "notes", AUTHOR);
        target.importBundle(source.bundle(third, List.of()).path(), third, 1 << 20);
        // recentCommits lists refs newest first in the order this instance wrote them.
        assertThat(target.recentCommits(3)).containsExactly(third, experiment, seed);
    }
}
