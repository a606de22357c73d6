package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pack of as many tiny objects as the object bound allowed: each within every other bound, the
 * whole a few MB on the wire, and JGit keeps a record per object while it parses (its id, offset
 * and checksum), the import a set of the new ids, the reach walk an object each. Child JVMs with
 * the node's heap ({@link DeltaMemoryTest#NODE_FLAGS}).
 */
class ManyObjectsMemoryTest {
    private static final String TIP = "a".repeat(40);

    @TempDir
    Path tmp;

    @Test
    void halfAMillionTinyObjectsAreRefusedUnderTheNodesHeapNotAnOutOfMemoryError() throws Exception {
        // Within the former bound of 500,000: an OutOfMemoryError in the import, a pack of 5 MB.
        String outcome = importInChild(PackLimits.MAX_OBJECTS);

        assertThat(outcome).doesNotStartWith("OOM").startsWith("REFUSED BundleTooLargeException")
                .contains("objects");
    }

    @Test
    void asManyAsTheNodesHeapAllowsAreParsedAndCheckedWithoutRunningItOut() throws Exception {
        // A little under what a 64 MiB heap allows (the JVM reports somewhat less than -Xmx):
        // parsed whole, then refused for what it is (no commit at its tip), not for its count.
        String outcome = importInChild(PackLimits.objectsFor(60L << 20));

        assertThat(outcome).doesNotStartWith("OOM").startsWith("REFUSED BundleException")
                .contains("does not contain its tip");
    }

    private String importInChild(long count) throws IOException, InterruptedException {
        List<byte[]> objects = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] data = Integer.toString(i, 36).getBytes(StandardCharsets.US_ASCII);
            objects.add(PackBombs.whole(3, data.length, data));
        }
        Path bundle = tmp.resolve("many.bundle");
        Files.write(bundle, PackBombs.bundle(TIP, PackBombs.pack(objects, count)));
        objects.clear();
        return DeltaMemoryTest.inChild("import", tmp.resolve("target.git").toString(), bundle.toString(), TIP);
    }
}
