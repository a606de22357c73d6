package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * A peer's bundle past its header: the pack, as {@link PackLimits}, {@link DeltaTrees} and JGit
 * read it into a real repository. Either raw bytes after a valid header, or a pack built from the
 * fuzzer's choices (object types, declared sizes, contents, delta instructions, offsets, bases,
 * tree entries, object count, checksum). Every bundle is imported or refused with a
 * {@link BundleException}; a refused one leaves no object, ref or quarantine in the repository.
 */
class BundleImportFuzzTest {
    /** Small: the scan's limits are what keep a bundle's memory bounded, not this. */
    private static final long MAX_BUNDLE_BYTES = 1 << 20;
    private static final Held HELD = Held.create();

    @FuzzTest(maxDuration = "2m")
    void importingAnyBundleGivesItOrARefusal(FuzzedDataProvider data) throws IOException {
        boolean prerequisite = data.consumeBoolean();
        Built built = data.consumeBoolean() ? structured(data) : raw(data, prerequisite);
        byte[] bundle = built.bundle(prerequisite);
        Set<String> before = HELD.state();
        try {
            String tip = HELD.repo.importBundle(bundle, built.tip, MAX_BUNDLE_BYTES);
            assertThat(tip).isEqualTo(built.tip);
            assertThat(HELD.repo.has(tip)).isTrue();
        } catch (BundleException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            assertThat(HELD.state()).as("a refused bundle leaves nothing behind: %s", refused.getMessage())
                    .isEqualTo(before);
        }
    }

    /** Seed inputs (see {@link #raw}): the child's real pack after a header naming the child, with and without its prerequisite. */
    static final Path SEEDS = Path.of("src/test/resources/dev/rhizome/node/git/BundleImportFuzzTestInputs/importingAnyBundleGivesItOrARefusal");

    /** The seeds are the held child's pack as this class makes it: one that changes must write them anew. */
    @org.junit.jupiter.api.Test
    void theSeedsCarryTheHeldChildsPack() throws IOException {
        assertThat(Files.readAllBytes(SEEDS.resolve("child-pack-with-prerequisite")))
                .isEqualTo(concat(HELD.childPack, new byte[] {1, 0, 1}));
        assertThat(Files.readAllBytes(SEEDS.resolve("child-pack-without-prerequisite")))
                .isEqualTo(concat(HELD.childPack, new byte[] {1, 0, 0}));
    }

    /** Any bytes after a header naming a tip (and perhaps a held prerequisite). */
    private static Built raw(FuzzedDataProvider data, boolean prerequisite) {
        String tip = data.consumeBoolean() ? HELD.child : HELD.commit;
        return new Built(tip, data.consumeRemainingAsBytes());
    }

    /** A pack written object by object from the fuzzer's choices, with a correct checksum unless it chooses not. */
    private static Built structured(FuzzedDataProvider data) {
        int objects = data.consumeInt(1, 5);
        List<byte[]> entries = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        List<String> commits = new ArrayList<>();
        long offset = 12;
        for (int i = 0; i < objects; i++) {
            offsets.add(offset);
            byte[] entry = object(data, offset, offsets, commits);
            entries.add(entry);
            offset += entry.length;
        }
        long count = data.consumeBoolean() ? objects : data.consumeLong(0, 1L << 32);
        byte[] pack = PackBombs.pack(entries, count);
        if (data.consumeBoolean()) {
            pack[data.consumeInt(0, pack.length - 1)] ^= (byte) data.consumeInt(1, 255);
        }
        if (data.consumeBoolean()) {
            pack = concat(pack, data.consumeBytes(16));
        }
        String tip = commits.isEmpty() ? HELD.child : commits.get(data.consumeInt(0, commits.size() - 1));
        return new Built(tip, pack);
    }

    private static byte[] object(FuzzedDataProvider data, long offset, List<Long> offsets, List<String> commits) {
        int kind = data.consumeInt(0, 5);
        if (kind == 4) {
            long distance = data.consumeBoolean() ? offset - offsets.get(data.consumeInt(0, offsets.size() - 1))
                    : data.consumeLong(0, 1L << 40);
            byte[] delta = delta(data);
            return PackBombs.offsetDelta(distance, declared(data, delta.length), delta);
        }
        if (kind == 5) {
            String base = pick(data, HELD.commit, HELD.tree, HELD.blob, randomId(data));
            byte[] delta = delta(data);
            return PackBombs.refDelta(base, declared(data, delta.length), delta);
        }
        int type = kind + 1;
        byte[] content = switch (type) {
            case Constants.OBJ_COMMIT -> commit(data);
            case Constants.OBJ_TREE -> tree(data);
            default -> data.consumeBytes(data.consumeInt(0, 256));
        };
        if (type == Constants.OBJ_COMMIT) {
            commits.add(new ObjectInserter.Formatter().idFor(type, content).name());
        }
        return PackBombs.whole(type, declared(data, content.length), content);
    }

    /** Usually the size carried; sometimes any size a header can say. */
    private static long declared(FuzzedDataProvider data, int actual) {
        return data.consumeInt(0, 3) == 0 ? data.consumeLong(0, Long.MAX_VALUE >>> 4) : actual;
    }

    /** Well-formed copy-then-insert instructions on a chosen base size, or any bytes. */
    private static byte[] delta(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            return data.consumeBytes(data.consumeInt(0, 64));
        }
        long baseSize = data.consumeLong(0, 1L << 36);
        int copied = data.consumeInt(0, 1 << 18);
        return PackBombs.copyThenInsert(baseSize, copied, data.consumeBytes(data.consumeInt(0, 127)));
    }

    private static byte[] commit(FuzzedDataProvider data) {
        StringBuilder text = new StringBuilder();
        text.append("tree ").append(pick(data, HELD.tree, HELD.emptyTree, HELD.blob, randomId(data))).append('\n');
        if (data.consumeBoolean()) {
            text.append("parent ").append(pick(data, HELD.commit, HELD.tree, randomId(data))).append('\n');
        }
        text.append("author A <a@example.org> ").append(data.consumeInt()).append(" +0000\n");
        text.append("committer A <a@example.org> 0 +0000\n\n");
        text.append(data.consumeString(64));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] tree(FuzzedDataProvider data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int entries = data.consumeInt(0, 4);
        for (int i = 0; i < entries; i++) {
            String mode = pick(data, "100644", "40000", "100755", "120000", "160000", data.consumeString(8));
            out.writeBytes((mode + " " + data.consumeString(32)).getBytes(StandardCharsets.UTF_8));
            out.write(0);
            out.writeBytes(HexFormat.of().parseHex(pick(data, HELD.blob, HELD.tree, HELD.commit, randomId(data))));
        }
        return out.toByteArray();
    }

    private static String randomId(FuzzedDataProvider data) {
        byte[] id = new byte[20];
        byte[] chosen = data.consumeBytes(20);
        System.arraycopy(chosen, 0, id, 0, chosen.length);
        return HexFormat.of().formatHex(id);
    }

    @SafeVarargs
    private static <T> T pick(FuzzedDataProvider data, T... choices) {
        return choices[data.consumeInt(0, choices.length - 1)];
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The bundle's tip and the bytes after its header. */
    private record Built(String tip, byte[] pack) {
        byte[] bundle(boolean prerequisite) {
            String header = "# v2 git bundle\n" + (prerequisite ? "-" + HELD.commit + "\n" : "")
                    + tip + " refs/heads/main\n\n";
            return concat(header.getBytes(StandardCharsets.US_ASCII), pack);
        }
    }

    /**
     * One repository per fuzzing process, holding a commit whose objects a thin pack may build on,
     * and the pack of a child commit as a peer would send it (made the same on every run, the
     * dates fixed, so that the seed inputs name the same commits).
     */
    private record Held(NodeRepository repo, Path dir, String commit, String tree, String blob, String emptyTree,
            String child, byte[] childPack) {
        private static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org",
                Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        private static final Map<String, byte[]> FILES = Map.of("a.txt", "held\n".repeat(40).getBytes(StandardCharsets.UTF_8),
                "dir/b.txt", "b\n".getBytes(StandardCharsets.UTF_8));

        static Held create() {
            try {
                Path dir = Files.createTempDirectory("bundle-import-fuzz");
                NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
                String commit = repo.commitFiles(null, FILES, "held", AUTHOR);
                String child;
                byte[] childBundle;
                try (NodeRepository peer = NodeRepository.open(dir.resolve("peer.git"))) {
                    peer.commitFiles(null, FILES, "held", AUTHOR);
                    child = peer.commitFiles(commit, Map.of("a.txt", "held\n".repeat(39).concat("changed\n")
                            .getBytes(StandardCharsets.UTF_8), "c.txt", "new\n".getBytes(StandardCharsets.UTF_8)), "child", AUTHOR);
                    childBundle = Files.readAllBytes(peer.bundle(child, List.of(commit)).path());
                }
                ObjectInserter.Formatter ids = new ObjectInserter.Formatter();
                String blob = ids.idFor(Constants.OBJ_BLOB, FILES.get("a.txt")).name();
                String tree;
                try (var walk = new org.eclipse.jgit.revwalk.RevWalk(repo.repository())) {
                    tree = walk.parseCommit(ObjectId.fromString(commit)).getTree().name();
                }
                String emptyTree = ids.idFor(Constants.OBJ_TREE, new byte[0]).name();
                int pack = indexOf(childBundle, "PACK".getBytes(StandardCharsets.US_ASCII));
                return new Held(repo, dir.resolve("repo.git"), commit, tree, blob, emptyTree, child,
                        java.util.Arrays.copyOfRange(childBundle, pack, childBundle.length));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static int indexOf(byte[] bytes, byte[] what) {
            outer:
            for (int i = 0; i + what.length <= bytes.length; i++) {
                for (int j = 0; j < what.length; j++) {
                    if (bytes[i + j] != what[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            throw new IllegalStateException("no pack in the bundle");
        }

        /** Every file in the repository's directory (objects, refs, quarantines) but JGit's own caches. */
        Set<String> state() throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                        .filter(p -> !p.equals("FETCH_HEAD"))
                        .collect(Collectors.toCollection(TreeSet::new));
            }
        }
    }
}
