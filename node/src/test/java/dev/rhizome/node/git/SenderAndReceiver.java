package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The import tests' two repositories, side by side in one folder: a sender's ({@code source.git}),
 * where commits are made and bundled, and a receiving node's ({@code target.git}), which imports
 * them. Most tests start with both holding one commit, as two nodes hold a direction's base.
 */
final class SenderAndReceiver implements AutoCloseable {
    private final Path dir;
    private NodeRepository source;
    private NodeRepository target;

    SenderAndReceiver(Path dir) throws IOException {
        this.dir = dir;
        source = NodeRepository.open(dir.resolve("source.git"));
        target = NodeRepository.open(dir.resolve("target.git"));
    }

    NodeRepository source() {
        return source;
    }

    NodeRepository target() {
        return target;
    }

    /** Commits {@code files} on the sender and imports the commit, with its history, into the receiver. */
    String commitHeldByBoth(String parent, Map<String, byte[]> files, String message) throws IOException, BundleException {
        String commit = source.commitFiles(parent, files, message, AUTHOR);
        target.importBundle(source.bundle(commit, List.of()).path(), commit, 64 << 20);
        return commit;
    }

    /** Opens the sender's repository again once the test has closed it, as a restarted node does. */
    NodeRepository reopenSource() throws IOException {
        source = NodeRepository.open(dir.resolve("source.git"));
        return source;
    }

    /** Opens the receiver's repository again once the test has closed it. */
    NodeRepository reopenTarget() throws IOException {
        target = NodeRepository.open(dir.resolve("target.git"));
        return target;
    }

    /**
     * The files in {@code repo}'s quarantines but their skeleton's alternates file: none once an
     * import has ended (the directory is kept for the next, {@link QuarantineDir}).
     */
    static List<Path> quarantineFiles(NodeRepository repo) throws IOException {
        List<Path> held = new ArrayList<>();
        try (Stream<Path> files = Files.list(repo.repository().getDirectory().toPath())) {
            for (Path quarantine : files.filter(p -> p.getFileName().toString().startsWith(Quarantine.PREFIX)).toList()) {
                Path skeleton = quarantine.resolve("objects").resolve("info").resolve("alternates");
                try (Stream<Path> inside = Files.walk(quarantine)) {
                    inside.filter(Files::isRegularFile).filter(p -> !p.equals(skeleton)).forEach(held::add);
                }
            }
        }
        return held;
    }

    @Override
    public void close() {
        source.close();
        target.close();
    }
}
