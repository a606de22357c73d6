package dev.rhizome.node.disk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.git.NodeRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataJanitorTest {
    @TempDir
    Path dir;

    @Test
    void atStartTheTemporaryFilesOfInterruptedWritesGoAndWhatTheyWouldHaveReplacedStays() throws Exception {
        NodeLayout layout = new NodeLayout(dir);
        Path bundles = dir.resolve("repo.git.bundles");
        for (Path d : new Path[] {layout.outbox(), layout.buffer(), bundles}) {
            Files.createDirectories(d);
        }
        // what a kill -9 between a write and its rename leaves, in this version's names and the older random ones
        Files.writeString(layout.outbox().resolve("unit-1.result.tmp"), "half");
        Files.writeString(layout.buffer().resolve("cpu0812763.tmp"), "half");
        Files.writeString(dir.resolve("peers.bin9182.tmp"), "half");
        Files.writeString(dir.resolve("node.json.tmp"), "half");
        Files.writeString(bundles.resolve("abc.bundle.5f3e.tmp"), "half");
        Path result = Files.writeString(layout.outbox().resolve("unit-2.result"), "kept");
        Path unit = Files.writeString(layout.buffer().resolve("cpu0.unit"), "kept");
        Path bundle = Files.writeString(bundles.resolve("abc.bundle"), "kept");

        assertThat(DataJanitor.removeInterruptedWrites(layout)).isEqualTo(5);
        assertThat(result).exists();
        assertThat(unit).exists();
        assertThat(bundle).exists();
        assertThat(layout.outbox().resolve("unit-1.result.tmp")).doesNotExist();
        assertThat(dir.resolve("node.json.tmp")).doesNotExist();
        assertThat(DataJanitor.removeInterruptedWrites(new NodeLayout(dir.resolve("fresh")))).isZero();
    }

    @Test
    void oldestLogsGoFirstUntilTheCapHoldsButFreshOnesStay() throws Exception {
        long now = System.currentTimeMillis();
        for (int i = 0; i < 5; i++) {
            Path f = Files.write(dir.resolve("job-" + i + ".log"), new byte[1000]);
            Files.setLastModifiedTime(f, FileTime.fromMillis(now - (10 - i) * 3_600_000L));
        }
        long freed = DataJanitor.pruneOldest(dir, 2500, now - 600_000);

        assertThat(freed).isEqualTo(3000);
        assertThat(dir.resolve("job-0.log")).doesNotExist();
        assertThat(dir.resolve("job-2.log")).doesNotExist();
        assertThat(dir.resolve("job-3.log")).exists();
        assertThat(DataJanitor.pruneOldest(dir, 0, now - 9 * 3_600_000L)).as("fresh files are kept").isZero();
    }

    @Test
    void theTransferLogRotatesToOneOldGeneration() throws Exception {
        Path log = Files.write(dir.resolve("transfers.jsonl"), new byte[100]);
        assertThat(DataJanitor.rotate(log, 1000)).isFalse();
        Files.write(log, new byte[2000]);
        assertThat(DataJanitor.rotate(log, 1000)).isTrue();
        assertThat(log).doesNotExist();
        assertThat(dir.resolve("transfers.jsonl.1")).hasSize(2000);
    }

    @Test
    void aPassPrunesTheBundleCacheButKeepsTheWantedCommits() throws Exception {
        NodeLayout layout = new NodeLayout(dir);
        try (NodeRepository repo = NodeRepository.open(layout.repository())) {
            List<String> commits = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] noise = new byte[300_000];
                new Random(i).nextBytes(noise);
                String c = repo.commitFiles(null, Map.of("w.bin", noise), "c" + i,
                        new org.eclipse.jgit.lib.PersonIdent("Ada", "ada@example.org"));
                commits.add(c);
                files.add(repo.bundle(c, List.of()).path());
            }
            // A 0 MiB cap: everything goes but the commit the node still wants.
            new DataJanitor(layout, repo, 0, 100, () -> Set.of(commits.get(1))).prune();

            assertThat(files.get(0)).doesNotExist();
            assertThat(files.get(1)).exists();
            assertThat(files.get(2)).doesNotExist();
        }
    }

    /** A kill -9 in the middle of an import leaves JGit's half-written pack; nothing else is touched. */
    @Test
    void aPassRemovesPackFilesAnInterruptedImportLeftButNotOnesBeingWrittenNow() throws Exception {
        NodeLayout layout = new NodeLayout(dir);
        try (NodeRepository repo = NodeRepository.open(layout.repository())) {
            String commit = repo.commitFiles(null, Map.of("a", new byte[] {1}), "one",
                    new org.eclipse.jgit.lib.PersonIdent("Ada", "ada@example.org"));
            Path objects = layout.repository().resolve("objects");
            Path abandoned = Files.write(objects.resolve("incoming_123.pack"), new byte[4096]);
            Path abandonedIndex = Files.write(objects.resolve("incoming_123.idx"), new byte[1024]);
            long twoHoursAgo = System.currentTimeMillis() - 2 * 3_600_000L;
            Files.setLastModifiedTime(abandoned, FileTime.fromMillis(twoHoursAgo));
            Files.setLastModifiedTime(abandonedIndex, FileTime.fromMillis(twoHoursAgo));
            Path beingWritten = Files.write(objects.resolve("incoming_456.pack"), new byte[4096]);

            new DataJanitor(layout, repo, 100, 100).prune();

            assertThat(abandoned).doesNotExist();
            assertThat(abandonedIndex).doesNotExist();
            assertThat(beingWritten).exists();
            assertThat(repo.readFile(commit, "a")).isPresent();
        }
    }
}
