package dev.rhizome.node.job;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The keys of earlier starts whose job directories ({@link JobDirs#leftovers}) are still to be
 * deleted, kept in {@code <key file>.leftover} until they are. A node killed mid-job leaves that job's
 * tree (up to the work directory's 200,000 entries), and its next start used to delete it before it
 * ran anything; the delete now goes on beside the new start, whose key is new, so the key file no
 * longer names the old one: this file does, until the delete is done, and a start killed during it
 * finds those directories again.
 */
final class LeftoverJobDirs {
    private static final String KEY = "[0-9a-f]{16}";

    private final Path file;

    LeftoverJobDirs(Path keyFile) {
        this.file = keyFile.resolveSibling(keyFile.getFileName() + ".leftover");
    }

    /** The keys kept (none when there is no file; a line that is not a key is skipped). */
    Set<String> keys() throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (line.strip().matches(KEY)) {
                    keys.add(line.strip());
                }
            }
        }
        return keys;
    }

    /** Keeps {@code keys} durably, in place of what was kept. */
    void keep(Set<String> keys) throws IOException {
        if (keys.isEmpty()) {
            DurableFiles.delete(file);
            return;
        }
        DurableFiles.replace(file, (String.join("\n", keys) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Forgets {@code done}, whose directories are deleted. */
    void forget(Set<String> done) throws IOException {
        Set<String> left = keys();
        left.removeAll(done);
        keep(left);
    }
}
