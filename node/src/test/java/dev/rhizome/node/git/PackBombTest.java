package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles a rogue writes by hand from the pack format: small on the wire, huge once inflated. The
 * node refuses them from the pack's headers, before JGit allocates or inflates what they declare,
 * and says which bound they broke; honest bundles (deltas and all) still import.
 */
class PackBombTest {
    private static final String TIP = "a".repeat(40);

    @TempDir
    Path tmp;
    NodeRepository target;

    @BeforeEach
    void setUp() throws IOException {
        target = NodeRepository.open(tmp.resolve("target.git"));
    }

    @AfterEach
    void tearDown() {
        target.close();
    }

    @Test
    void anObjectDeclaringGigabytesIsRefusedBeforeAnyArrayIsMadeForIt() {
        // A commit object's header saying 1.9 GB, with a few bytes of data: JGit made the array
        // first, an OutOfMemoryError on a node's heap, or 1.9 GB taken until the data ran out.
        byte[] pack = pack(List.of(whole(1, 1_900_000_000L, new byte[16])));

        assertThatThrownBy(() -> target.importBundle(bundle(pack), TIP, 64 << 20))
                .isInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("object 0").hasMessageContaining("1900000000 bytes").hasMessageContaining("per object");
        assertThat(target.commits()).isEmpty();
    }

    @Test
    void aDeltaDeclaringAGigabyteResultIsRefusedFromItsFirstBytes() {
        // Base size 10, result size 1 GiB, then one copy instruction: about 20 bytes on the wire.
        ByteArrayOutputStream delta = new ByteArrayOutputStream();
        varint(delta, 10);
        varint(delta, 1L << 30);
        delta.write(0x90);
        delta.write(0x00);
        byte[] data = delta.toByteArray();
        byte[] pack = pack(List.of(refDelta("b".repeat(40), data)));

        assertThatThrownBy(() -> target.importBundle(bundle(pack), TIP, 64 << 20))
                .isInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("a delta making an object of " + (1L << 30) + " bytes");
    }

    @Test
    void aDeltaCopyingPastItsBaseIsAWrongBundleNotAThrowFromBelow() throws Exception {
        // A blob of 10 bytes, and a delta on it that copies 100 bytes from its start: within every
        // bound, and JGit threw ArrayIndexOutOfBoundsException, out of the import and the fetch worker.
        byte[] base = "0123456789".getBytes(StandardCharsets.US_ASCII);
        byte[] whole = whole(3, base.length, base);
        byte[] pack = pack(List.of(whole, PackBombs.offsetDelta(whole.length, PackBombs.copyThenInsert(10, 100, new byte[0]))));

        assertThatThrownBy(() -> target.importBundle(bundle(pack), TIP, 64 << 20))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("refused while unpacking");
        assertThat(target.commits()).isEmpty();
    }

    @Test
    void manySmallObjectsPastTheCountAreRefusedFromThePacksHeader() {
        PackLimits limits = new PackLimits(1_000, 1 << 20, 1 << 30);
        byte[] pack = pack(List.of(), 5_000_000);

        assertThatThrownBy(() -> limits.check(new ByteArrayInputStream(pack)))
                .isInstanceOf(BundleTooLargeException.class).hasMessageContaining("5000000 objects");
    }

    @Test
    void zerosThatInflateFarPastTheTotalAreRefusedAtTheObjectThatCrossesIt() {
        // 4 blobs of 1 MiB of zeros, about 1 KiB each on the wire; the total bound is 3 MiB.
        PackLimits limits = new PackLimits(1_000, 1 << 20, 3 << 20);
        byte[] zeros = new byte[1 << 20];
        List<byte[]> objects = List.of(whole(3, zeros.length, zeros), whole(3, zeros.length, zeros),
                whole(3, zeros.length, zeros), whole(3, zeros.length, zeros));
        byte[] pack = pack(objects);
        assertThat(pack.length).isLessThan(8 << 10);

        assertThatThrownBy(() -> limits.check(new ByteArrayInputStream(pack)))
                .isInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("more than this node's limit of " + (3 << 20)).hasMessageContaining("object 3");
    }

    @Test
    void anObjectWhoseDataInflatesPastItsHeaderIsALieNotABound() {
        byte[] pack = pack(List.of(whole(3, 10, new byte[1000])));

        assertThatThrownBy(() -> PackLimits.PEERS.check(new ByteArrayInputStream(pack)))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("inflates past the 10 bytes its header declares");
    }

    @Test
    void aTruncatedPackIsALie() {
        byte[] pack = pack(List.of(whole(3, 1000, new byte[1000])));
        byte[] cut = Arrays.copyOf(pack, 20);

        assertThatThrownBy(() -> PackLimits.PEERS.check(new ByteArrayInputStream(cut)))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("ends in the middle");
    }

    @Test
    void anHonestHistoryWithDeltasImportsAndItsScanCountsWhatTheDeltasMake() throws Exception {
        NodeRepository source = NodeRepository.open(tmp.resolve("source.git"));
        try {
            // 20 versions of a 200 KB file, each a line apart: JGit packs them as deltas.
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 5_000; i++) {
                text.append("line ").append(i).append(" of the training script, unchanged\n");
            }
            String tip = null;
            for (int v = 0; v < 20; v++) {
                Map<String, byte[]> files = new HashMap<>();
                files.put("train.py", (text + "lr = 0.0" + v + "\n").getBytes(StandardCharsets.UTF_8));
                tip = source.commitFiles(tip, files, "version " + v, AUTHOR);
            }
            BundleFile bundle = source.bundle(tip, List.of());
            byte[] bytes = Files.readAllBytes(bundle.path());
            assertThat(bytes.length).as("deltas keep it small").isLessThan(200_000);

            assertThatCode(() -> scan(PackLimits.PEERS, bytes)).doesNotThrowAnyException();
            // 20 versions of ~200 KB: over 4 MB made, though the bundle is a few KB.
            assertThatThrownBy(() -> scan(new PackLimits(1_000, 1 << 20, 2 << 20), bytes))
                    .isInstanceOf(BundleTooLargeException.class);
            assertThat(target.importBundle(bundle.path(), tip, 64 << 20)).isEqualTo(tip);
        } finally {
            source.close();
        }
    }

    private static void scan(PackLimits limits, byte[] bundle) throws Exception {
        try (InputStream in = new ByteArrayInputStream(bundle)) {
            GitBundleHeader.read(in);
            limits.check(in);
        }
    }

    private Path bundle(byte[] pack) throws IOException {
        Path file = tmp.resolve("bomb-" + System.nanoTime() + ".bundle");
        Files.write(file, PackBombs.bundle(TIP, pack));
        return file;
    }

    private static byte[] pack(List<byte[]> objects) {
        return PackBombs.pack(objects, objects.size());
    }

    private static byte[] pack(List<byte[]> objects, long count) {
        return PackBombs.pack(objects, count);
    }

    private static byte[] whole(int type, long declared, byte[] data) {
        return PackBombs.whole(type, declared, data);
    }

    private static byte[] refDelta(String base, byte[] delta) {
        return PackBombs.refDelta(base, delta);
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        PackBombs.varint(out, value);
    }
}
