package dev.rhizome.node.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * What the power-loss forces ({@link RepoSync}) cost an import: imports of one chain of commits,
 * each a thin bundle on the one before, into two repositories in turn, one as this round leaves it
 * and one as round 33 did (no directory forced, ref files not forced; JGit's pack parser forces the
 * pack and its index in both). Prints the medians and their ratio, measured in the same run. Not a
 * test: run by hand, {@code java -cp <node test classpath> dev.rhizome.node.git.ImportSyncCost [commits] [bytes]}.
 */
public final class ImportSyncCost {
    private ImportSyncCost() {
    }

    public static void main(String[] args) throws Exception {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int bytes = args.length > 1 ? Integer.parseInt(args[1]) : 64 << 10;
        Path dir = Files.createTempDirectory("import-sync-cost");
        PersonIdent author = new PersonIdent("Ada", "ada@example.org");
        Random random = new Random(1);
        try (NodeRepository source = NodeRepository.open(dir.resolve("source.git"));
             NodeRepository forced = NodeRepository.open(dir.resolve("forced.git"));
             NodeRepository unforced = NodeRepository.open(dir.resolve("unforced.git"), d -> { })) {
            unforced.repository().getConfig().setBoolean(ConfigConstants.CONFIG_CORE_SECTION, null, "fsyncRefFiles", false);
            unforced.repository().getConfig().setBoolean(ConfigConstants.CONFIG_CORE_SECTION, null, "fsyncObjectFiles", false);
            List<Path> bundles = new ArrayList<>();
            List<String> tips = new ArrayList<>();
            String parent = null;
            for (int i = 0; i < commits; i++) {
                byte[] noise = new byte[bytes];
                random.nextBytes(noise);
                String tip = source.commitFiles(parent, Map.of("f" + i + ".bin", noise), "commit " + i, author);
                Path copy = dir.resolve("b" + i + ".bundle");
                Files.copy(source.bundle(tip, parent == null ? List.of() : List.of(parent)).path(), copy);
                bundles.add(copy);
                tips.add(tip);
                parent = tip;
            }
            long[] withForces = new long[commits];
            long[] without = new long[commits];
            for (int i = 0; i < commits; i++) {
                // alternated, so that the machine's load falls on both alike
                NodeRepository first = i % 2 == 0 ? forced : unforced;
                NodeRepository second = i % 2 == 0 ? unforced : forced;
                long a = timeImport(first, bundles.get(i), tips.get(i));
                long b = timeImport(second, bundles.get(i), tips.get(i));
                withForces[i] = i % 2 == 0 ? a : b;
                without[i] = i % 2 == 0 ? b : a;
            }
            java.util.Arrays.sort(withForces);
            java.util.Arrays.sort(without);
            double f = withForces[commits / 2] / 1e6;
            double u = without[commits / 2] / 1e6;
            System.out.printf("imports of %d commits of %d bytes: median %.2f ms with the forces, %.2f ms without; ratio %.2f%n",
                    commits, bytes, f, u, f / u);
        }
    }

    private static long timeImport(NodeRepository repo, Path bundle, String tip) throws Exception {
        long start = System.nanoTime();
        repo.importBundle(bundle, tip, Long.MAX_VALUE);
        return System.nanoTime() - start;
    }
}
