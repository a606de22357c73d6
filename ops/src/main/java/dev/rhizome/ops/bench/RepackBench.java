package dev.rhizome.ops.bench;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.RepoCompactor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * What a node's pack count costs a fetch: a repository that imported {@code packs} bundles (one pack
 * each, as a node's does) times the import of {@code imports} more, then is repacked into one pack
 * ({@link RepoCompactor}) and times as many imports again (each adding its pack, as before). Both
 * halves in the same run, so the ratio is what to read; {@code packsBefore} is the count when the
 * first timed import began (after a warm-up of 20).
 */
public final class RepackBench {
    static final PersonIdent AUTHOR = new PersonIdent("bench", "bench@rhizome");

    public record Config(int packs, int imports, Path dir) {
        public Config {
            if (packs < 1) {
                throw new IllegalArgumentException("--packs must be at least 1, got " + packs);
            }
            if (imports < 1) {
                throw new IllegalArgumentException("--imports must be at least 1, got " + imports);
            }
        }
    }

    public record Report(int packsBefore, int packsAfter, long bytesBefore, long bytesAfter, double importP50MsBefore,
            double importP50MsAfter, long repackMs, int imports) implements BenchReport {

        public double ratio() {
            return importP50MsBefore / Math.max(0.001, importP50MsAfter);
        }

        public String toText() {
            return String.format(Locale.ROOT, "import of one bundle (p50 of %d): %.1f ms with %d packs, %.1f ms after the repack "
                            + "to %d (ratio %.2f); repack %d ms, %d KiB -> %d KiB%n", imports, importP50MsBefore, packsBefore,
                    importP50MsAfter, packsAfter, ratio(), repackMs, bytesBefore >> 10, bytesAfter >> 10);
        }

        public String toJson() {
            return String.format(Locale.ROOT, "{\"packs_before\":%d,\"packs_after\":%d,\"bytes_before\":%d,\"bytes_after\":%d,"
                            + "\"import_p50_ms_before\":%.2f,\"import_p50_ms_after\":%.2f,\"ratio\":%.2f,\"repack_ms\":%d,"
                            + "\"imports\":%d}", packsBefore, packsAfter, bytesBefore, bytesAfter, importP50MsBefore,
                    importP50MsAfter, ratio(), repackMs, imports);
        }
    }

    private RepackBench() {
    }

    public static Report run(Config config, PrintStream progress) throws Exception {
        try (NodeRepository source = NodeRepository.open(config.dir().resolve("source.git"));
             NodeRepository node = NodeRepository.open(config.dir().resolve("node.git"))) {
            String tip = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            importOne(source, node, tip);
            progress.printf("importing %d bundles, one pack each%n", config.packs() - 1);
            for (int i = 1; i < config.packs(); i++) {
                tip = next(source, tip, "fill" + i);
                importOne(source, node, tip);
            }
            // The bench is the only writer: nothing young needs keeping, so every old pack goes.
            RepoCompactor compactor = new RepoCompactor(node, Duration.ZERO);
            // Warm-up, so that neither half pays for the JIT.
            for (int i = 0; i < 20; i++) {
                tip = next(source, tip, "warm" + i);
                importOne(source, node, tip);
            }
            RepoCompactor.Usage before = compactor.usage();
            List<Long> slow = new ArrayList<>();
            for (int i = 0; i < config.imports(); i++) {
                tip = next(source, tip, "before" + i);
                slow.add(importOne(source, node, tip));
            }
            progress.printf("repacking %d packs%n", compactor.usage().packs());
            long start = System.nanoTime();
            RepoCompactor.Outcome repack = compactor.repackIfNeeded(0);
            long repackMs = (System.nanoTime() - start) / 1_000_000;
            List<Long> fast = new ArrayList<>();
            for (int i = 0; i < config.imports(); i++) {
                tip = next(source, tip, "after" + i);
                fast.add(importOne(source, node, tip));
            }
            return new Report(before.packs(), repack.after().packs(), repack.before().bytes(), repack.after().bytes(),
                    p50(slow) / 1e6, p50(fast) / 1e6, repackMs, config.imports());
        }
    }

    private static String next(NodeRepository source, String parent, String name) throws Exception {
        return source.commitFiles(parent, Map.of(name + ".txt", text("step " + name + "\n")), name, AUTHOR);
    }

    /** Imports {@code tip} as a fetch does (a thin bundle on what the node holds); the nanoseconds the import took. */
    private static long importOne(NodeRepository source, NodeRepository node, String tip) throws Exception {
        Path bundle = source.bundle(tip, node.recentCommits(1000)).path();
        long start = System.nanoTime();
        node.importBundle(bundle, tip, 64L << 20);
        return System.nanoTime() - start;
    }

    private static long p50(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
