package dev.rhizome.node.git;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * The thread CPU of a warm thin import as a `bench gossip` node makes one: one chain of commits of
 * a random blob each, every bundle thin on the commit before it, imported in order into several
 * repositories in turn, so that each holds one pack more per import (20 to 60 at the defaults, as a
 * bench node holds before the janitor's repack). The first {@code warm} imports of each repository
 * are not timed. Prints the mean, p50 and p10 of the timed imports' thread CPU. Not a test: run by
 * hand, with a build before and after a change alternating (A B B A), {@code java -cp <node test
 * classpath> dev.rhizome.node.git.ImportCpuCost [repos] [commits] [warm] [bytes]}.
 */
public final class ImportCpuCost {
    private ImportCpuCost() {
    }

    public static void main(String[] args) throws Exception {
        int repos = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int commits = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int warm = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        int bytes = args.length > 3 ? Integer.parseInt(args[3]) : 64 << 10;
        Path dir = Files.createTempDirectory("import-cpu-cost");
        PersonIdent author = new PersonIdent("Ada", "ada@example.org");
        Random random = new Random(1);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<byte[]> bundles = new ArrayList<>();
        List<String> tips = new ArrayList<>();
        try (NodeRepository source = NodeRepository.open(dir.resolve("source.git"))) {
            String parent = null;
            for (int i = 0; i < commits; i++) {
                byte[] noise = new byte[bytes];
                random.nextBytes(noise);
                String tip = source.commitFiles(parent, Map.of("f" + i + ".bin", noise), "commit " + i, author);
                bundles.add(Files.readAllBytes(source.bundle(tip, parent == null ? List.of() : List.of(parent)).path()));
                tips.add(tip);
                parent = tip;
            }
        }
        List<NodeRepository> targets = new ArrayList<>();
        for (int r = 0; r < repos; r++) {
            targets.add(NodeRepository.open(dir.resolve("t" + r + ".git")));
        }
        long[] timed = new long[repos * (commits - warm)];
        int n = 0;
        try {
            for (int i = 0; i < commits; i++) {
                for (NodeRepository target : targets) {
                    long start = threads.getCurrentThreadCpuTime();
                    target.importBundle(bundles.get(i), tips.get(i), Long.MAX_VALUE);
                    long used = threads.getCurrentThreadCpuTime() - start;
                    if (i >= warm) {
                        timed[n++] = used;
                    }
                }
            }
        } finally {
            for (NodeRepository target : targets) {
                target.close();
            }
        }
        Arrays.sort(timed);
        double mean = Arrays.stream(timed).average().orElse(0) / 1e6;
        System.out.printf("%d timed imports of %d bytes: thread CPU mean %.3f ms, p50 %.3f, p10 %.3f; load %.1f%n",
                timed.length, bytes, mean, timed[timed.length / 2] / 1e6, timed[timed.length / 10] / 1e6,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
