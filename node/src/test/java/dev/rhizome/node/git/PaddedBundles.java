package dev.rhizome.node.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Bundles a rogue writes with a real tip and a pack of its own choosing: the header names the tip
 * and the prerequisites, and the pack holds what {@code want} reaches minus what {@code have}
 * reaches (JGit's pack writer), so it may carry objects the tip never reaches.
 */
public final class PaddedBundles {
    private PaddedBundles() {
    }

    /** A bundle of {@code tip} over {@code prerequisites} whose pack carries what {@code want} reaches and {@code have} does not. */
    public static byte[] bundle(NodeRepository source, String tip, List<String> prerequisites, List<String> want,
            List<String> have) throws IOException {
        return bundle(source, headerLines(tip, prerequisites, "refs/rhizome/commits/" + tip), want, have);
    }

    /** As above, with the header's text given whole (without the blank line that ends it). */
    static byte[] bundle(NodeRepository source, String header, List<String> want, List<String> have) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((header + "\n").getBytes(StandardCharsets.UTF_8));
        try (PackWriter writer = new PackWriter(source.repository())) {
            writer.setThin(true);
            writer.preparePack(NullProgressMonitor.INSTANCE, ids(want), ids(have));
            writer.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, out);
        }
        return out.toByteArray();
    }

    static String headerLines(String tip, List<String> prerequisites, String refName) {
        StringBuilder header = new StringBuilder("# v2 git bundle\n");
        prerequisites.forEach(p -> header.append('-').append(p).append('\n'));
        return header.append(tip).append(' ').append(refName).append('\n').toString();
    }

    private static Set<ObjectId> ids(List<String> commits) {
        Set<ObjectId> ids = new HashSet<>();
        commits.forEach(c -> ids.add(ObjectId.fromString(c)));
        return ids;
    }
}
