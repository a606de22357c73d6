package dev.rhizome.node.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A child process for {@link DeltaMemoryTest}, run with the node's heap: {@code import REPO BUNDLE
 * TIP} imports one bundle into a repository, {@code write REPO SIZE BUNDLE} commits a file of SIZE
 * bytes, then the same with one byte changed, and writes the bundle of both.
 */
public final class UnderNodeHeap {
    public static void main(String[] args) throws Exception {
        try (NodeRepository repo = NodeRepository.open(Path.of(args[1]))) {
            if (args[0].equals("write")) {
                byte[] data = DeltaMemoryTest.text(Integer.parseInt(args[2]), 1);
                String first = repo.commitFiles(null, Map.of("data.txt", data), "data", NodeRepositoryTest.AUTHOR);
                data[1000] = 'X';
                String tip = repo.commitFiles(first, Map.of("data.txt", data), "one byte changed", NodeRepositoryTest.AUTHOR);
                Files.copy(repo.bundle(tip, List.of()).path(), Path.of(args[3]));
                System.out.println("WROTE " + tip);
                return;
            }
            try {
                repo.importBundle(Path.of(args[2]), args[3], 64L << 20);
                System.out.println("IMPORTED");
            } catch (BundleException e) {
                System.out.println("REFUSED " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        } catch (OutOfMemoryError e) {
            System.out.println("OOM " + e.getMessage() + " at " + java.util.Arrays.stream(e.getStackTrace()).limit(40).map(Object::toString).filter(f -> f.contains("rhizome") || f.contains("PackWriter") || f.contains("Inserter") || f.contains("Bundle")).toList());
            System.exit(3);
        }
    }
}
