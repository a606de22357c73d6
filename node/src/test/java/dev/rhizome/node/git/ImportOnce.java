package dev.rhizome.node.git;

import java.nio.file.Files;
import java.nio.file.Path;

/** A child process for {@link DeltaMemoryTest}: imports one bundle into a fresh repository under the node's heap. */
public final class ImportOnce {
    public static void main(String[] args) throws Exception {
        try (NodeRepository repo = NodeRepository.open(Path.of(args[0]))) {
            try {
                repo.importBundle(Path.of(args[1]), args[2], 64L << 20);
                System.out.println("IMPORTED " + Runtime.getRuntime().maxMemory());
            } catch (BundleException e) {
                System.out.println("REFUSED " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        } catch (OutOfMemoryError e) {
            System.out.println("OOM " + e.getMessage());
            System.exit(3);
        }
    }
}
