package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packs a rogue writes by hand so that each delta alone is within what a node holds in memory
 * while JGit, resolving them, holds far more: a "comb" of offset deltas (each base kept until its
 * last delta is made), and a ref delta naming a large object the node holds (read whole before its
 * declared size is checked). Imported in a real child process with the node's heap, as
 * {@link DeltaMemoryTest} does: before the scan judged them, both were an OutOfMemoryError.
 */
class DeltaChainTest {
    private static final String TIP = "a".repeat(40);
    /** Each base alone well within a quarter of the node's 64 MiB heap, delta and result included. */
    private static final int NODE_BASE = 7 << 20;

    @TempDir
    Path tmp;

    @Test
    void aCombOfOffsetDeltasIsRefusedUnderTheNodesHeapNotAnOutOfMemoryError() throws Exception {
        // 10 bases of 7 MiB held at once: 70 MiB, a bundle of about 4 MiB.
        Path bundle = write(comb(9, NODE_BASE, true));

        String outcome = DeltaMemoryTest.inChild("import", tmp.resolve("target.git").toString(), bundle.toString(), TIP);

        assertThat(outcome).doesNotStartWith("OOM").startsWith("REFUSED BundleTooLargeException")
                .contains("held in memory at once");
    }

    @Test
    void aRefDeltaOnALargeHeldBlobDeclaringASmallBaseIsRefusedBeforeJGitReadsTheBlob() throws Exception {
        Path target = tmp.resolve("target.git");
        byte[] big = new byte[60 << 20];
        Arrays.fill(big, (byte) 'x');
        try (NodeRepository repo = NodeRepository.open(target)) {
            repo.commitFiles(null, Map.of("big.bin", big), "a large file", AUTHOR);
        }
        String blob = new ObjectInserter.Formatter().idFor(Constants.OBJ_BLOB, big).name();
        big = null;
        Path bundle = write(PackBombs.pack(List.of(PackBombs.refDelta(blob, PackBombs.copyThenInsert(10, 0, bytes("hello")))), 1));

        String outcome = DeltaMemoryTest.inChild("import", target.toString(), bundle.toString(), TIP);

        assertThat(outcome).doesNotStartWith("OOM").startsWith("REFUSED BundleException")
                .contains("as a base of 10 bytes, but that object is of " + (60 << 20));
    }

    @Test
    void aPlainChainOfTheSameDeltasIsTakenWhereTheCombIsNot() throws Exception {
        PackLimits limits = new PackLimits(1_000, 64 << 20, 512 << 20, 4 << 20);

        // A chain holds a base and what its delta makes: 2 MiB; the comb holds all 10 bases.
        assertThatCode(() -> limits.check(new ByteArrayInputStream(comb(9, 1 << 20, false)))).doesNotThrowAnyException();
        assertThatThrownBy(() -> limits.check(new ByteArrayInputStream(comb(9, 1 << 20, true))))
                .isInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("held in memory at once").hasMessageContaining("limit of " + (4 << 20));
        // Three levels of 1 MiB are within 4 MiB: the bound is on what is held, not on the shape.
        assertThatCode(() -> limits.check(new ByteArrayInputStream(comb(2, 1 << 20, true)))).doesNotThrowAnyException();
    }

    @Test
    void aThinEditOfAFileTheNodeHoldsStillImportsAsADeltaOnIt() throws Exception {
        try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"));
                NodeRepository target = NodeRepository.open(tmp.resolve("target.git"))) {
            byte[] data = DeltaMemoryTest.text(1 << 20, 5);
            String first = source.commitFiles(null, Map.of("data.txt", data), "data", AUTHOR);
            target.importBundle(source.bundle(first, List.of()).path(), first, 64 << 20);
            data[1000] = 'X';
            String second = source.commitFiles(first, Map.of("data.txt", data), "one byte changed", AUTHOR);

            BundleFile thin = source.bundle(second, target.commits());
            // Far smaller than the file: its blob travels as a delta naming the held one by id.
            assertThat(thin.size()).isLessThan(16 << 10);
            assertThat(target.importBundle(thin.path(), second, 64 << 20)).isEqualTo(second);
        }
    }

    @Test
    void anOffsetDeltaDeclaringASmallBaseForALargeOneIsALie() {
        byte[] base = DeltaMemoryTest.text(1 << 20, 3);
        byte[] whole = PackBombs.whole(3, base.length, base);
        byte[] pack = PackBombs.pack(List.of(whole, PackBombs.offsetDelta(whole.length, PackBombs.copyThenInsert(10, 0, bytes("hi")))), 2);

        assertThatThrownBy(() -> PackLimits.PEERS.check(new ByteArrayInputStream(pack)))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("a base of 10 bytes, but its base (object 0) is of " + (1 << 20));
    }

    @Test
    void anOffsetDeltaPointingBetweenObjectsIsALie() {
        byte[] base = bytes("0123456789");
        byte[] whole = PackBombs.whole(3, base.length, base);
        byte[] pack = PackBombs.pack(List.of(whole, PackBombs.offsetDelta(whole.length - 1, PackBombs.copyThenInsert(10, 10, bytes("!")))), 2);

        assertThatThrownBy(() -> PackLimits.PEERS.check(new ByteArrayInputStream(pack)))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("where no earlier object of the pack starts");
    }

    @Test
    void aRefDeltaOnAnObjectThisNodeDoesNotHoldIsAWrongBundle() {
        byte[] base = bytes("0123456789");
        String baseId = new ObjectInserter.Formatter().idFor(Constants.OBJ_BLOB, base).name();
        byte[] pack = PackBombs.pack(List.of(PackBombs.whole(3, base.length, base),
                PackBombs.refDelta(baseId, PackBombs.copyThenInsert(10, 10, bytes("!")))), 2);

        assertThatThrownBy(() -> PackLimits.PEERS.check(new ByteArrayInputStream(pack)))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("an object this node does not hold");
    }

    @Test
    void refDeltasOnAHeldObjectThatThePackAlsoMakesDeepInACombAreBoundedNestedThere() throws Exception {
        PackLimits limits = new PackLimits(1_000, 64 << 20, 512 << 20, 4 << 20);
        int size = 1 << 20;
        String held = "b".repeat(40);

        // A comb of 3 levels holds 3 MiB, and so does one of ref deltas on the held object: each
        // within 4 MiB alone. The first comb's deepest result is of the held object's size, so it may
        // be that object's copy, and JGit (which takes a base in the pack first) then resolves the
        // second comb there, the first's bases all still held: 6 MiB. The scan took each alone.
        byte[] nesting = combThenRefComb(2, size, held, 2);
        assertThatThrownBy(() -> limits.check(new ByteArrayInputStream(nesting), id -> id.name().equals(held) ? size : -1))
                .isInstanceOf(BundleTooLargeException.class).hasMessageContaining("held in memory at once");

        // Held at another size than any result the pack makes, it cannot nest there: each comb alone counts.
        byte[] apart = combThenRefComb(2, size, held, 2, size + 1);
        assertThatCode(() -> limits.check(new ByteArrayInputStream(apart), id -> id.name().equals(held) ? size + 1 : -1))
                .doesNotThrowAnyException();
        // A held file edited in place (its own deltas of its size) cannot hang from itself: not counted twice.
        byte[] inPlace = combThenRefComb(0, size, held, 2);
        assertThatCode(() -> limits.check(new ByteArrayInputStream(inPlace), id -> id.name().equals(held) ? size : -1))
                .doesNotThrowAnyException();
    }

    private static byte[] combThenRefComb(int depth, int size, String held, int refDepth) {
        return combThenRefComb(depth, size, held, refDepth, size);
    }

    /**
     * {@link #comb} of {@code depth} over a whole blob of {@code size} (none with depth 0), then a
     * ref delta on {@code held} (declared of {@code heldSize}) making {@code size} bytes and
     * {@code refDepth - 1} offset deltas on it, each with a leaf after the chain: a second comb.
     */
    private static byte[] combThenRefComb(int depth, int size, String held, int refDepth, int heldSize) {
        List<byte[]> objects = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        long[] at = {12};
        java.util.function.Consumer<byte[]> add = object -> {
            offsets.add(at[0]);
            objects.add(object);
            at[0] += object.length;
        };
        if (depth > 0) {
            add.accept(PackBombs.whole(3, size, DeltaMemoryTest.text(size, 7)));
            for (int k = 1; k <= depth; k++) {
                add.accept(PackBombs.offsetDelta(at[0] - offsets.get(k - 1), PackBombs.copyThenInsert(size, size - 1, new byte[] {(byte) ('A' + k)})));
            }
            for (int k = 0; k < depth; k++) {
                add.accept(PackBombs.offsetDelta(at[0] - offsets.get(k), PackBombs.copyThenInsert(size, 1, bytes("leaf " + k))));
            }
        }
        int first = objects.size();
        add.accept(PackBombs.refDelta(held, PackBombs.copyThenInsert(heldSize, size - 1, bytes("R"))));
        for (int k = 1; k < refDepth; k++) {
            add.accept(PackBombs.offsetDelta(at[0] - offsets.get(first + k - 1), PackBombs.copyThenInsert(size, size - 1, new byte[] {(byte) ('a' + k)})));
        }
        for (int k = 0; k < refDepth; k++) {
            add.accept(PackBombs.offsetDelta(at[0] - offsets.get(first + k), PackBombs.copyThenInsert(size, 1, bytes("ref leaf " + k))));
        }
        return PackBombs.pack(objects, objects.size());
    }

    /**
     * A whole blob of {@code size} bytes, then {@code depth} offset deltas each on the one before
     * (one byte changed, so each is of the same size); with {@code leaves}, then one more small
     * delta on each of those bases, placed after the chain: JGit keeps every base until its leaf.
     */
    static byte[] comb(int depth, int size, boolean leaves) {
        List<byte[]> objects = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        long[] at = {12};
        java.util.function.Consumer<byte[]> add = object -> {
            offsets.add(at[0]);
            objects.add(object);
            at[0] += object.length;
        };
        add.accept(PackBombs.whole(3, size, DeltaMemoryTest.text(size, 7)));
        for (int k = 1; k <= depth; k++) {
            add.accept(PackBombs.offsetDelta(at[0] - offsets.get(k - 1), PackBombs.copyThenInsert(size, size - 1, new byte[] {(byte) ('A' + k)})));
        }
        for (int k = 0; leaves && k < depth; k++) {
            add.accept(PackBombs.offsetDelta(at[0] - offsets.get(k), PackBombs.copyThenInsert(size, 1, bytes("leaf " + k))));
        }
        return PackBombs.pack(objects, objects.size());
    }

    private Path write(byte[] pack) throws IOException {
        Path file = tmp.resolve("rogue-" + System.nanoTime() + ".bundle");
        Files.write(file, PackBombs.bundle(TIP, pack));
        return file;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
