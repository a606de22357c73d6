package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JGit resolves a delta with its base and its result whole in memory, and a node runs on a heap of
 * 64 MiB (ops/systemd/rhizome-node.service): a bundle within every size limit whose deltas rest on
 * large bases must be refused, not take the heap. Imported in a real child process with the
 * node's flags.
 */
class DeltaMemoryTest {
    static final List<String> NODE_FLAGS = List.of("-Xms16m", "-Xmx64m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    @TempDir
    Path tmp;

    @Test
    void aDeltaOnALargeBaseIsRefusedNotAnOutOfMemoryError() throws Exception {
        // A 15 MiB bundle: the file's second version a delta of its first, 20 MiB each in memory.
        String outcome = importInChild(oneByteEditOf(20 << 20));

        assertThat(outcome).doesNotStartWith("OOM").startsWith("REFUSED BundleTooLargeException")
                .contains("held whole in memory to unpack");
    }

    @Test
    void aDeltaOnAFileOfAFewMegabytesStillImportsUnderTheNodesHeap() throws Exception {
        assertThat(importInChild(oneByteEditOf(5 << 20))).startsWith("IMPORTED");
    }

    @Test
    void aNodeWritesALargeFilesEditSoThatANodeOfItsHeapTakesIt() throws Exception {
        Path bundle = tmp.resolve("written.bundle");
        String wrote = inChild("write", tmp.resolve("writer.git").toString(), String.valueOf(20 << 20), bundle.toString());
        assertThat(wrote).startsWith("WROTE ");

        assertThat(inChild("import", tmp.resolve("target.git").toString(), bundle.toString(), wrote.substring(6)))
                .startsWith("IMPORTED");
    }

    /** A bundle of two commits of one file of {@code size} bytes, the second changing one byte; its path and tip. */
    private String[] oneByteEditOf(int size) throws IOException {
        Path bundle = tmp.resolve("edit.bundle");
        try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"))) {
            byte[] data = text(size, 1);
            String first = source.commitFiles(null, Map.of("data.txt", data), "data", AUTHOR);
            data[1000] = 'X';
            String tip = source.commitFiles(first, Map.of("data.txt", data), "one byte changed", AUTHOR);
            Files.copy(source.bundle(tip, List.of()).path(), bundle);
            return new String[] {bundle.toString(), tip};
        }
    }

    private String importInChild(String[] bundleAndTip) throws IOException, InterruptedException {
        return inChild("import", tmp.resolve("target.git").toString(), bundleAndTip[0], bundleAndTip[1]);
    }

    /** {@link UnderNodeHeap} run with {@code args} in a JVM of the node's flags: the line saying what it did. */
    static String inChild(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(NODE_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), UnderNodeHeap.class.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        child.waitFor();
        return out.lines().filter(l -> l.matches("(WROTE|IMPORTED|REFUSED|OOM).*")).findFirst().orElse(out);
    }

    /** {@code size} bytes of random lowercase text: compresses only so far, so a bundle stays within its size limit. */
    static byte[] text(int size, long seed) {
        Random random = new Random(seed);
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = (byte) (i % 80 == 79 ? '\n' : 'a' + random.nextInt(26));
        }
        return out;
    }
}
