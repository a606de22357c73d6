package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One quarantine (its directory and its JGit repository) serves every import of a repository
 * ({@link QuarantineDir}): what an import unpacked must be gone for the next, whether it was
 * refused or admitted, and the repository's own objects, read through the skeleton's alternates
 * file, must be seen by each import as they are after the one before.
 */
class QuarantineReuseTest {
    @TempDir
    Path tmp;

    SenderAndReceiver repos;
    NodeRepository source;
    NodeRepository target;
    String base;

    @BeforeEach
    void setUp() throws Exception {
        repos = new SenderAndReceiver(tmp);
        source = repos.source();
        target = repos.target();
        base = repos.commitHeldByBoth(null, Map.of("train.py", script(0)), "seed");
    }

    @AfterEach
    void tearDown() {
        repos.close();
    }

    /**
     * Each bundle is thin on the commit the one before brought: its deltas rest on objects the
     * previous import admitted, which the kept quarantine reads through its alternate.
     */
    @Test
    void eachBundleOfAChainImportsOnTheCommitTheImportBeforeItAdmitted() throws Exception {
        String parent = base;
        for (int i = 1; i <= 6; i++) {
            String child = source.commitFiles(parent, Map.of("train.py", script(i)), "step " + i, AUTHOR);
            assertThat(target.importBundle(source.bundle(child, List.of(parent)).path(), child, 64 << 20)).isEqualTo(child);
            assertThat(target.readFile(child, "train.py")).hasValue(script(i));
            parent = child;
        }
        assertThat(quarantineDirs()).as("one quarantine served every import").hasSize(1);
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();
    }

    /**
     * A good import, then a refused one whose pack held a commit, its tree and a blob (and an
     * unrelated commit: padding), then a
     * bundle that names that commit's tree and leaves it out of its pack (as held): refused as
     * incomplete, and nothing of the refused pack is in the repository. An honest bundle then imports.
     */
    @Test
    void aRefusedBundleAfterAGoodOneLeavesNothingTheNextImportCanRestOn() throws Exception {
        String good = source.commitFiles(base, Map.of("train.py", script(1)), "good", AUTHOR);
        target.importBundle(source.bundle(good, List.of(base)).path(), good, 64 << 20);
        byte[] data = new byte[40_000];
        new Random(31).nextBytes(data);
        String refused = source.commitFiles(good, Map.of("data.bin", data), "carries data", AUTHOR);
        String other = source.commitFiles(null, Map.of("other.bin", new byte[] {1, 2, 3}), "unrelated", AUTHOR);
        byte[] padded = PaddedBundles.bundle(source, refused, List.of(good), List.of(refused, other), List.of(good));
        assertThatThrownBy(() -> target.importBundle(padded, refused, 64 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("does not reach");
        // The refused pack carried the commit, its tree and its blob: a bundle of the same tree under
        // another commit, whose pack carries only that commit, must find the tree missing, not held.
        String sameTree = source.commitFiles(good, Map.of("data.bin", data), "the same tree again", AUTHOR);
        byte[] commitOnly = commitOnly(sameTree, good);
        assertThat(commitOnly.length).as("the bundle carries no copy of the data").isLessThan(data.length);

        assertThatThrownBy(() -> target.importBundle(commitOnly, sameTree, 64 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("missing");
        assertThat(target.has(refused)).isFalse();
        assertThat(target.has(sameTree)).isFalse();
        assertThat(target.repository().getObjectDatabase().has(ObjectId.fromString(refused))).isFalse();
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();
        assertThat(target.importBundle(source.bundle(sameTree, List.of(good)).path(), sameTree, 64 << 20)).isEqualTo(sameTree);
        assertThat(target.readFile(sameTree, "data.bin")).hasValue(data);
    }

    /**
     * Four chains imported from four threads at once, beside a fifth thread importing refused
     * padded bundles that smuggle a blob: every honest commit arrives with its files, the smuggled
     * blob is never held, and the quarantine is left holding nothing.
     */
    @Test
    void concurrentImportsAndRefusalsKeepTheirObjectsApart() throws Exception {
        int chains = 4;
        int length = 4;
        List<List<String>> commits = new ArrayList<>();
        for (int c = 0; c < chains; c++) {
            List<String> chain = new ArrayList<>();
            String parent = base;
            for (int i = 0; i < length; i++) {
                parent = source.commitFiles(parent, Map.of("chain" + c + ".txt", script(100 * c + i)), "chain " + c + " step " + i, AUTHOR);
                chain.add(parent);
            }
            commits.add(chain);
        }
        byte[] smuggledData = new byte[30_000];
        new Random(131).nextBytes(smuggledData);
        String smuggled = source.commitFiles(null, Map.of("smuggled.bin", smuggledData), "anything at all", AUTHOR);
        ObjectId smuggledBlob = PaddedBundleTest.blobOf(source, smuggled, "smuggled.bin");
        String lure = source.commitFiles(base, Map.of("lure.txt", script(999)), "never imported whole", AUTHOR);
        byte[] padded = PaddedBundles.bundle(source, lure, List.of(base), List.of(lure, smuggled), List.of(base));

        List<Callable<Integer>> work = new ArrayList<>();
        for (List<String> chain : commits) {
            work.add(() -> {
                String parent = base;
                for (String commit : chain) {
                    target.importBundle(source.bundle(commit, List.of(parent)).path(), commit, 64 << 20);
                    parent = commit;
                }
                return chain.size();
            });
        }
        work.add(() -> {
            int refusals = 0;
            for (int i = 0; i < 2 * length; i++) {
                try {
                    target.importBundle(padded, lure, 64 << 20);
                } catch (BundleException expected) {
                    refusals++;
                }
            }
            return refusals;
        });
        ExecutorService threads = Executors.newFixedThreadPool(work.size());
        try {
            List<Future<Integer>> done = threads.invokeAll(work);
            for (int c = 0; c < chains; c++) {
                assertThat(done.get(c).get()).isEqualTo(length);
            }
            assertThat(done.get(chains).get()).as("padded bundles refused").isEqualTo(2 * length);
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        for (int c = 0; c < chains; c++) {
            for (int i = 0; i < length; i++) {
                assertThat(target.readFile(commits.get(c).get(i), "chain" + c + ".txt")).hasValue(script(100 * c + i));
            }
        }
        assertThat(target.repository().getObjectDatabase().has(smuggledBlob)).as("the smuggled blob, held").isFalse();
        assertThat(target.has(smuggled)).isFalse();
        assertThat(target.has(lure)).isFalse();
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();
        assertThat(quarantineDirs()).hasSize(1);
    }

    /** A bundle of {@code tip} (a child of {@code prerequisite}) whose pack carries the commit object alone. */
    private byte[] commitOnly(String tip, String prerequisite) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((PaddedBundles.headerLines(tip, List.of(prerequisite), "refs/rhizome/commits/" + tip) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        try (RevWalk walk = new RevWalk(source.repository()); PackWriter writer = new PackWriter(source.repository())) {
            writer.preparePack(List.<RevObject>of(walk.parseCommit(ObjectId.fromString(tip))).iterator());
            writer.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, out);
        }
        return out.toByteArray();
    }

    /** A training script long enough that the next step's is a delta on it. */
    private static byte[] script(int step) {
        StringBuilder text = new StringBuilder();
        for (int line = 0; line < 200; line++) {
            text.append("layer_").append(line).append(" = Linear(512, 512)  # unchanged line of the model\n");
        }
        text.append("lr = ").append(step).append("e-4\n");
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private List<Path> quarantineDirs() throws Exception {
        try (Stream<Path> files = Files.list(target.repository().getDirectory().toPath())) {
            return files.filter(p -> p.getFileName().toString().startsWith(Quarantine.PREFIX)).toList();
        }
    }
}
