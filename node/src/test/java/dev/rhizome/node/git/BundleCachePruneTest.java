package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle cache on a real repository in a temporary directory, pruned to a cap with wanted tips kept. */
class BundleCachePruneTest {
    static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");
    static final int BYTES = 200_000;

    @TempDir
    Path tmp;

    static String commit(NodeRepository repo, int i) throws Exception {
        byte[] noise = new byte[BYTES];
        new Random(i).nextBytes(noise);
        return repo.commitFiles(null, Map.of("w" + i + ".bin", noise), "commit " + i, AUTHOR);
    }

    @Test
    void prunesOldestFirstToTheCapButKeepsWhatIsWanted() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("repo.git"))) {
            List<String> commits = new ArrayList<>();
            List<BundleFile> files = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (int i = 0; i < 5; i++) {
                String c = commit(repo, i);
                commits.add(c);
                BundleFile b = repo.bundle(c, List.of());
                Files.setLastModifiedTime(b.path(), FileTime.fromMillis(now - (10 - i) * 60_000L));  // 0 is the oldest
                files.add(b);
            }
            long total = files.stream().mapToLong(BundleFile::size).sum();

            // Room for about two bundles; the oldest (0) is wanted, say under evaluation here.
            long freed = repo.pruneBundleCache(2 * BYTES + BYTES / 2, Set.of(commits.get(0)));

            assertThat(files.get(0).path()).exists();
            assertThat(files.get(1).path()).doesNotExist();
            assertThat(files.get(2).path()).doesNotExist();
            assertThat(files.get(3).path()).doesNotExist();
            assertThat(files.get(4).path()).exists();
            assertThat(freed).isEqualTo(files.get(1).size() + files.get(2).size() + files.get(3).size());
            assertThat(cacheBytes()).isEqualTo(total - freed);

            // A pruned bundle is made again when asked for, and named by its digest once more.
            BundleFile again = repo.bundle(commits.get(2), List.of());
            assertThat(again.path()).exists();
            assertThat(repo.bundleWithDigest(commits.get(2), List.of(), again.sha256())).isPresent();
        }
    }

    @Test
    void aWantedBundleStaysEvenWhenItAlonePassesTheCap() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("repo.git"))) {
            String wanted = commit(repo, 1);
            String other = commit(repo, 2);
            BundleFile w = repo.bundle(wanted, List.of());
            BundleFile o = repo.bundle(other, List.of());

            repo.pruneBundleCache(0, Set.of(wanted));

            assertThat(w.path()).exists();
            assertThat(o.path()).doesNotExist();
        }
    }

    @Test
    void aReceivedBundleIsKeptByteForByteServedByItsDigestAndPrunedLikeTheRest() throws Exception {
        try (NodeRepository origin = NodeRepository.open(tmp.resolve("origin.git"));
             NodeRepository relay = NodeRepository.open(tmp.resolve("relay.git"))) {
            String c = commit(origin, 3);
            BundleFile sent = origin.bundle(c, List.of());
            Path received = Files.copy(sent.path(), tmp.resolve("received.bundle"));
            relay.importBundle(received, c, Long.MAX_VALUE);

            BundleFile kept = relay.keepReceivedBundle(received, c);

            assertThat(kept.sha256()).isEqualTo(sent.sha256());
            assertThat(kept.pieceSha256()).hasSameSizeAs(sent.pieceSha256());
            assertThat(relay.bundle(c, List.of()).sha256()).as("served as the bundle of (tip, no prerequisites)").isEqualTo(sent.sha256());
            assertThat(relay.bundleWithDigest(c, List.of(), sent.sha256())).hasValueSatisfying(b ->
                    assertThat(b.path()).isEqualTo(kept.path()));
            assertThat(relay.bundleWithDigest(c, List.of(), new byte[32])).isEmpty();

            relay.pruneBundleCache(0, Set.of());
            assertThat(kept.path()).doesNotExist();
        }
    }

    private long cacheBytes() throws Exception {
        try (Stream<Path> files = Files.list(tmp.resolve("repo.git.bundles"))) {
            long sum = 0;
            for (Path p : files.toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }
}
