package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles whose tip is right but whose pack or header carries more than the tip's history: a rogue
 * could have had honest nodes store such a bundle and relay it byte for byte under a real
 * commit's name. Each is a wrong bundle now, refused with nothing left in the repository, and
 * honest bundles (thin, full, a tip that brings an old blob back) still import.
 */
class PaddedBundleTest {
    @TempDir
    Path tmp;
    SenderAndReceiver repos;
    NodeRepository source;
    NodeRepository target;
    String base;
    String tip;

    @BeforeEach
    void setUp() throws Exception {
        repos = new SenderAndReceiver(tmp);
        source = repos.source();
        target = repos.target();
        base = repos.commitHeldByBoth(null, Map.of("train.py", "lr = 0.1\n".getBytes()), "seed");
        tip = source.commitFiles(base, Map.of("train.py", "lr = 0.2\n".getBytes()), "lower the rate", AUTHOR);
    }

    @AfterEach
    void tearDown() {
        repos.close();
    }

    @Test
    void aPackCarryingACommitTheTipNeverReachesIsRefusedAndLeavesNothing() throws Exception {
        byte[] data = new byte[100_000];
        new Random(7).nextBytes(data);
        String smuggled = source.commitFiles(null, Map.of("data.bin", data), "anything at all", AUTHOR);
        ObjectId smuggledBlob = blobOf(source, smuggled, "data.bin");
        List<Path> packsBefore = packs(target);
        byte[] padded = PaddedBundles.bundle(source, tip, List.of(base), List.of(tip, smuggled), List.of(base));

        assertThatThrownBy(() -> target.importBundle(padded, tip, 64 << 20))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("carries 3 object(s) its tip " + tip + " does not reach")
                .hasMessageContaining(smuggled);
        assertThat(target.has(tip)).isFalse();
        assertThat(target.repository().getObjectDatabase().has(smuggledBlob)).as("the smuggled data, stored").isFalse();
        assertThat(target.repository().getObjectDatabase().has(ObjectId.fromString(tip))).as("the tip, stored unrefed").isFalse();
        assertThat(packs(target)).isEqualTo(packsBefore);
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();

        assertThat(target.importBundle(source.bundle(tip, List.of(base)).path(), tip, 64 << 20)).isEqualTo(tip);
        assertThat(target.readFile(tip, "train.py")).hasValue("lr = 0.2\n".getBytes());
    }

    /**
     * Imports unpack into one directory, emptied after each: what a refused bundle unpacked there
     * must not complete the next bundle's history. The second bundle's tree names the smuggled blob
     * and its pack leaves it out (as held); only the first bundle ever brought it.
     */
    @Test
    void whatARefusedBundleUnpackedNeverCompletesTheNextImport() throws Exception {
        byte[] data = new byte[50_000];
        new Random(11).nextBytes(data);
        String smuggled = source.commitFiles(null, Map.of("data.bin", data), "anything at all", AUTHOR);
        byte[] padded = PaddedBundles.bundle(source, tip, List.of(base), List.of(tip, smuggled), List.of(base));
        assertThatThrownBy(() -> target.importBundle(padded, tip, 64 << 20)).isInstanceOf(BundleException.class)
                .hasMessageContaining("does not reach");
        String reuses = source.commitFiles(base, Map.of("data.bin", data), "the same data", AUTHOR);
        byte[] incomplete = withoutBlobs(source, reuses, base);

        assertThatThrownBy(() -> target.importBundle(incomplete, reuses, 64 << 20)).isInstanceOf(BundleException.class)
                .hasMessageContaining("missing");
        assertThat(target.has(reuses)).isFalse();
        assertThat(target.repository().getObjectDatabase().has(blobOf(source, smuggled, "data.bin"))).isFalse();
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();
        assertThat(target.importBundle(source.bundle(tip, List.of(base)).path(), tip, 64 << 20)).isEqualTo(tip);
    }

    /** A repository closed with its quarantine kept removes it: nothing is left beside the objects. */
    @Test
    void closingTheRepositoryRemovesItsQuarantine() throws Exception {
        target.importBundle(source.bundle(tip, List.of(base)).path(), tip, 64 << 20);
        Path gitDir = target.repository().getDirectory().toPath();
        target.close();
        try (Stream<Path> files = Files.list(gitDir)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(Quarantine.PREFIX))).isEmpty();
        }
        target = repos.reopenTarget();
    }

    @Test
    void aPackCarryingThePrerequisitesOwnHistoryIsRefused() throws Exception {
        String next = source.commitFiles(tip, Map.of("train.py", "lr = 0.3\n".getBytes()), "lower it again", AUTHOR);
        target.importBundle(source.bundle(tip, List.of(base)).path(), tip, 64 << 20);
        // Thin against tip by its header, but the pack is the whole history: tip and base (and
        // their trees and blobs) travel again, reachable only through the prerequisite.
        byte[] padded = PaddedBundles.bundle(source, next, List.of(tip), List.of(next), List.of());

        assertThatThrownBy(() -> target.importBundle(padded, next, 64 << 20))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("does not reach without its prerequisites' history");
        assertThat(target.has(next)).isFalse();
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();
    }

    @Test
    void honestBundlesImportThinFullAndWithATipThatBringsAnOldBlobBack() throws Exception {
        // The tip's file goes back to the seed's content: a blob the prerequisite's history holds.
        String back = source.commitFiles(tip, Map.of("train.py", "lr = 0.1\n".getBytes(), "notes.md", "undo\n".getBytes()),
                "undo", AUTHOR);
        String later = source.commitFiles(back, Map.of("b.txt", "b\n".getBytes()), "more", AUTHOR);
        assertThat(target.importBundle(source.bundle(tip, List.of(base)).path(), tip, 64 << 20)).isEqualTo(tip);
        assertThat(target.importBundle(source.bundle(back, List.of(tip)).path(), back, 64 << 20)).isEqualTo(back);
        // A full bundle to a node that holds most of it: every object is the tip's history.
        assertThat(target.importBundle(source.bundle(later, List.of()).path(), later, 64 << 20)).isEqualTo(later);
        assertThat(target.readFile(back, "train.py")).hasValue("lr = 0.1\n".getBytes());
        assertThat(SenderAndReceiver.quarantineFiles(target)).isEmpty();
    }

    @Test
    void aPrerequisiteTheTipsHistoryNeverMeetsIsRefused() throws Exception {
        String unrelated = source.commitFiles(null, Map.of("x.txt", "x\n".getBytes()), "unrelated", AUTHOR);
        target.importBundle(source.bundle(unrelated, List.of()).path(), unrelated, 64 << 20);
        byte[] bundle = PaddedBundles.bundle(source, tip, List.of(base, unrelated), List.of(tip), List.of(base));

        assertThatThrownBy(() -> target.importBundle(bundle, tip, 64 << 20))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("prerequisite " + unrelated + " is not where the tip's history meets ours");
        assertThat(target.has(tip)).isFalse();
    }

    @Test
    void aHeaderPaddedWithRepeatedLinesALongRefNameOrLongCommentsIsRefused() throws Exception {
        byte[] twice = PaddedBundles.bundle(source, PaddedBundles.headerLines(tip, List.of(base, base),
                "refs/rhizome/commits/" + tip), List.of(tip), List.of(base));
        assertThatThrownBy(() -> target.importBundle(twice, tip, 64 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("prerequisite " + base + " twice");

        byte[] longName = PaddedBundles.bundle(source, PaddedBundles.headerLines(tip, List.of(base),
                "refs/heads/" + "x".repeat(100_000)), List.of(tip), List.of(base));
        assertThatThrownBy(() -> target.importBundle(longName, tip, 64 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("ref name");

        byte[] longComment = PaddedBundles.bundle(source, PaddedBundles.headerLines(tip,
                List.of(base + " " + "y".repeat(100_000)), "refs/rhizome/commits/" + tip), List.of(tip), List.of(base));
        assertThatThrownBy(() -> target.importBundle(longComment, tip, 64 << 20))
                .isInstanceOf(BundleException.class).hasMessageContaining("bytes of comment");

        // What JGit writes (the prerequisite's subject as its comment) is what an honest node sends.
        assertThat(target.importBundle(source.bundle(tip, List.of(base)).path(), tip, 64 << 20)).isEqualTo(tip);
        assertThat(new String(Files.readAllBytes(source.bundle(tip, List.of(base)).path()), StandardCharsets.ISO_8859_1))
                .contains("-" + base + " seed\n");
    }

    @Test
    void zlibStretchedWithEmptyBlocksIsPaddingAndStoredBlocksAreNot() throws Exception {
        byte[] blob = "lr = 0.1\n".getBytes(StandardCharsets.US_ASCII);
        // 20,000 empty stored blocks before the data: 100 KB of zlib for 9 bytes.
        byte[] stretched = PackBombs.pack(List.of(rawObject(3, blob.length, zlibStored(blob, 20_000))), 1);
        assertThatThrownBy(() -> PackLimits.PEERS.check(new ByteArrayInputStream(stretched)))
                .isInstanceOf(BundleException.class).isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining("padding");

        // Data that does not compress, stored as it is (zlib level 0): honest, and within the bound.
        byte[] random = new byte[300_000];
        new Random(3).nextBytes(random);
        byte[] stored = PackBombs.pack(List.of(rawObject(3, random.length, zlibStored(random, 0))), 1);
        assertThatCode(() -> PackLimits.PEERS.check(new ByteArrayInputStream(stored))).doesNotThrowAnyException();
    }

    @Test
    void aQuarantineAKilledImportLeftGoesOnceOldAndAYoungOneStays() throws Exception {
        Path gitDir = target.repository().getDirectory().toPath();
        Path old = Files.createDirectories(gitDir.resolve(Quarantine.PREFIX + "killed").resolve("objects").resolve("pack"));
        Files.write(old.resolve("incoming_1.pack"), new byte[4096]);
        Files.setLastModifiedTime(gitDir.resolve(Quarantine.PREFIX + "killed"), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path young = Files.createDirectories(gitDir.resolve(Quarantine.PREFIX + "running"));

        assertThat(target.removeAbandonedImports(Duration.ofMinutes(10))).isGreaterThanOrEqualTo(4096);
        assertThat(gitDir.resolve(Quarantine.PREFIX + "killed")).doesNotExist();
        assertThat(young).as("another process's import, running now").exists();
    }

    /**
     * A quarantine is named by its importing process: one a dead process left (a node SIGKILLed in
     * the middle of an import) goes at the next look however young, one of a live process stays.
     */
    @Test
    void aQuarantineOfADeadProcessGoesAtOnceAndOneOfALiveProcessStays() throws Exception {
        Path gitDir = target.repository().getDirectory().toPath();
        // this process's pid with another start time: the process that had it before, dead
        String dead = Quarantine.PREFIX + new dev.rhizome.node.api.ProcessStamp(ProcessHandle.current().pid(), 1).name() + "-7";
        Path killed = Files.createDirectories(gitDir.resolve(dead).resolve("objects").resolve("pack"));
        Files.write(killed.resolve("pack-1.pack"), new byte[4096]);
        Path live = Files.createDirectories(gitDir.resolve(Quarantine.PREFIX
                + dev.rhizome.node.api.ProcessStamp.current().name() + "-8"));
        Files.setLastModifiedTime(live, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

        assertThat(target.removeAbandonedImports(Duration.ofMinutes(10))).isGreaterThanOrEqualTo(4096);
        assertThat(gitDir.resolve(dead)).as("a dead importer's, young").doesNotExist();
        assertThat(live).as("a live importer's, however old").exists();
    }

    /** zlib of {@code data} in stored blocks of at most 65,535 bytes, after {@code empty} empty ones. */
    private static byte[] zlibStored(byte[] data, int empty) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x78);
        out.write(0x01);
        for (int i = 0; i < empty; i++) {
            out.writeBytes(new byte[] {0, 0, 0, (byte) 0xff, (byte) 0xff});
        }
        int at = 0;
        do {
            int n = Math.min(65_535, data.length - at);
            boolean last = at + n == data.length;
            out.write(last ? 1 : 0);
            out.write(n & 0xff);
            out.write(n >>> 8);
            out.write(~n & 0xff);
            out.write((~n >>> 8) & 0xff);
            out.write(data, at, n);
            at += n;
        } while (at < data.length);
        Adler32 adler = new Adler32();
        adler.update(data);
        long sum = adler.getValue();
        out.write((int) (sum >>> 24) & 0xff);
        out.write((int) (sum >>> 16) & 0xff);
        out.write((int) (sum >>> 8) & 0xff);
        out.write((int) sum & 0xff);
        return out.toByteArray();
    }

    private static byte[] rawObject(int type, long size, byte[] zlib) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int c = (type << 4) | (int) (size & 15);
        size >>>= 4;
        while (size != 0) {
            out.write(c | 0x80);
            c = (int) (size & 0x7f);
            size >>>= 7;
        }
        out.write(c);
        out.writeBytes(zlib);
        return out.toByteArray();
    }

    static ObjectId blobOf(NodeRepository repo, String commit, String path) throws IOException {
        try (RevWalk walk = new RevWalk(repo.repository());
                TreeWalk tree = TreeWalk.forPath(repo.repository(), path,
                        walk.parseCommit(ObjectId.fromString(commit)).getTree())) {
            return tree.getObjectId(0);
        }
    }

    private static List<Path> packs(NodeRepository repo) throws IOException {
        try (Stream<Path> files = Files.list(repo.repository().getDirectory().toPath().resolve("objects").resolve("pack"))) {
            return files.sorted().toList();
        }
    }

    /** A bundle of {@code tip} (a child of {@code prerequisite}) whose pack carries its commit and tree only. */
    static byte[] withoutBlobs(NodeRepository repo, String tip, String prerequisite) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes((PaddedBundles.headerLines(tip, List.of(prerequisite), "refs/rhizome/commits/" + tip) + "\n").getBytes());
        try (org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(repo.repository());
                org.eclipse.jgit.internal.storage.pack.PackWriter writer = new org.eclipse.jgit.internal.storage.pack.PackWriter(repo.repository())) {
            org.eclipse.jgit.revwalk.RevCommit commit = walk.parseCommit(ObjectId.fromString(tip));
            writer.preparePack(List.<org.eclipse.jgit.revwalk.RevObject>of(commit, commit.getTree()).iterator());
            writer.writePack(org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE, org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE, out);
        }
        return out.toByteArray();
    }
}
