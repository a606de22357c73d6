package dev.rhizome.node.git;

import static dev.rhizome.node.git.HostileTrees.bytes;
import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.git.HostileTrees.Entry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.PackParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Git content a rogue signs and serves as a real commit of its own: trees whose names escape or
 * confuse a checkout on some file system, links and submodules that point out of it, trees nested
 * past any path a checkout can write, commits with megabytes of message or thousands of parents.
 * Each is a wrong bundle at import (its sender pays, as for any refused bundle), named in the
 * refusal, with nothing left in the repository; nothing of it is ever checked out.
 */
class HostileTreesTest {
    @TempDir
    Path tmp;
    SenderAndReceiver repos;
    NodeRepository source;
    NodeRepository target;
    String base;

    @BeforeEach
    void setUp() throws Exception {
        repos = new SenderAndReceiver(tmp);
        source = repos.source();
        target = repos.target();
        base = repos.commitHeldByBoth(null, Map.of("train.py", "lr = 0.1\n".getBytes()), "seed");
    }

    @AfterEach
    void tearDown() {
        repos.close();
    }

    static Stream<Arguments> hostileNames() {
        return Stream.of(
                // JGit's own checks, kept
                Arguments.of("..", FileMode.REGULAR_FILE, "'..'"),
                Arguments.of(".git", FileMode.TREE, ".git"),
                Arguments.of(".GIT", FileMode.TREE, ".GIT"),
                Arguments.of(".git ", FileMode.TREE, ".git"),
                Arguments.of(".git.", FileMode.TREE, ".git"),
                Arguments.of("GIT~1", FileMode.TREE, "GIT~1"),
                Arguments.of("a/b", FileMode.REGULAR_FILE, "'/'"),
                // this network's own
                Arguments.of(".git::$INDEX_ALLOCATION", FileMode.TREE, "reads as .git"),
                Arguments.of("git~2", FileMode.TREE, "reads as .git"),
                Arguments.of(".g\u200Cit", FileMode.TREE, "ignorable Unicode"),
                Arguments.of(".\uFEFFgit", FileMode.TREE, "ignorable Unicode"),
                Arguments.of("train.py\nrm -rf ~", FileMode.REGULAR_FILE, "control character 0x0a"),
                Arguments.of("log\u001b[2J.txt", FileMode.REGULAR_FILE, "control character 0x1b"),
                Arguments.of("tab\there", FileMode.REGULAR_FILE, "control character 0x09"),
                Arguments.of("..\\..\\evil", FileMode.REGULAR_FILE, "path separator"),
                Arguments.of(". .", FileMode.REGULAR_FILE, "'.' or '..'"),
                Arguments.of("x".repeat(256), FileMode.REGULAR_FILE, "256 bytes"),
                Arguments.of("passwd", FileMode.SYMLINK, "symbolic link 'passwd'"),
                Arguments.of("vendor", FileMode.GITLINK, "submodule 'vendor'"));
    }

    @ParameterizedTest(name = "[{index}] {1} named {0}")
    @MethodSource("hostileNames")
    void aTreeWithAHostileEntryIsAWrongBundleAndLeavesNothing(String name, FileMode mode, String named) throws Exception {
        byte[] raw = name.getBytes(StandardCharsets.UTF_8);
        String tip = commitWithRoot(List.of(hostileEntry(mode, raw), Entry.file("train.py", blob("lr = 0.2\n"))));

        assertRefusedAndAbsent(tip, named);
    }

    @Test
    void aNameThatIsNotUtf8IsRefused() throws Exception {
        // Decoded for a path, each bad byte is U+FFFD: two such names are one file in a checkout.
        byte[] raw = {'a', (byte) 0xff, 'b'};
        String tip = commitWithRoot(List.of(new Entry(FileMode.REGULAR_FILE, raw, blob("one"))));

        assertRefusedAndAbsent(tip, "not UTF-8");
    }

    @Test
    void entriesThatFoldToOneNameAreRefused() throws Exception {
        // On a case-insensitive disk (an agent's workspace on macOS) one is written over the other:
        // the agent would read and edit another file than the one the job runs.
        String tip = commitWithRoot(List.of(Entry.file("TRAIN.py", blob("evil")), Entry.file("train.py", blob("lr"))));

        assertRefusedAndAbsent(tip, "duplicate");
    }

    @Test
    void aLinkAndADirectoryOfOneNameAreRefused() throws Exception {
        // A link out of the checkout, then a file "under" it: git can only say so with two entries of one name.
        ObjectId dir = tree(List.of(Entry.file("authorized_keys", blob("ssh-ed25519 AAAA rogue"))));
        String tip = commitWithRoot(List.of(new Entry(FileMode.SYMLINK, bytes("ssh"), blob("/root/.ssh")),
                new Entry(FileMode.TREE, bytes("ssh"), dir)));

        assertRefusedAndAbsent(tip, "");
    }

    @Test
    void nestingPastAnyPathACheckoutCanWriteIsRefused() throws Exception {
        ObjectId tree = tree(List.of(Entry.file("deep.py", blob("x = 1\n"))));
        for (int level = 0; level < 400; level++) {
            tree = tree(List.of(new Entry(FileMode.TREE, bytes("ab"), tree)));
        }
        String tip = commit(tree, List.of(ObjectId.fromString(base)), "deep");

        assertRefusedAndAbsent(tip, "bytes (at most 1024)");
    }

    @Test
    void aTreeReusedDeeperInTheSameCommitIsRefused() throws Exception {
        // 900 bytes where the walk first meets it ("a/..."), 900 more under "z/": a walk that
        // judges each object once, where it first meets it, let it in.
        ObjectId deep = nested("ab", 300, tree(List.of(Entry.file("x.py", blob("x = 1\n")))));
        ObjectId again = nested("cd", 60, deep);
        String tip = commitWithRoot(List.of(new Entry(FileMode.TREE, bytes("a"), deep), new Entry(FileMode.TREE, bytes("z"), again)));

        assertRefusedAndAbsent(tip, "bytes (at most 1024)");
    }

    @Test
    void aHeldTreePutUnderNewOnesPastAnyPathACheckoutCanWriteIsRefused() throws Exception {
        ObjectId deep = nested("ab", 300, tree(List.of(Entry.file("x.py", blob("x = 1\n")))));
        String held = commit(tree(List.of(new Entry(FileMode.TREE, bytes("a"), deep))), List.of(ObjectId.fromString(base)), "held");
        assertThat(target.importBundle(PaddedBundles.bundle(source, held, List.of(base), List.of(held), List.of(base)), held, 64 << 20))
                .isEqualTo(held);
        String tip = commit(tree(List.of(new Entry(FileMode.TREE, bytes("z"), nested("cd", 60, deep)))),
                List.of(ObjectId.fromString(held)), "deeper");

        byte[] bundle = PaddedBundles.bundle(source, tip, List.of(held), List.of(tip), List.of(held));
        assertThatThrownBy(() -> target.importBundle(bundle, tip, 64 << 20)).isInstanceOf(BundleException.class)
                .hasMessageContaining("bytes (at most 1024)");
        assertThat(target.repository().getObjectDatabase().has(ObjectId.fromString(tip))).isFalse();
    }

    @Test
    void aTreeWhosePathsDoubleAtEachLevelIsJudgedWithoutWalkingEachPath() throws Exception {
        // 2^60 paths of 120 bytes: judged tree by tree, once each.
        ObjectId tree = tree(List.of(Entry.file("x.py", blob("x = 1\n"))));
        for (int level = 0; level < 60; level++) {
            tree = tree(List.of(new Entry(FileMode.TREE, bytes("a"), tree), new Entry(FileMode.TREE, bytes("b"), tree)));
        }
        String fine = commit(tree, List.of(ObjectId.fromString(base)), "wide");
        assertThat(target.importBundle(bundleOf(fine), fine, 64 << 20)).isEqualTo(fine);

        // Put under 310 levels more (930 bytes), every one of its paths is too long.
        String tip = commit(nested("ab", 310, tree), List.of(ObjectId.fromString(base)), "wide and deep");
        assertThatThrownBy(() -> target.importBundle(bundleOf(tip), tip, 64 << 20)).isInstanceOf(BundleException.class)
                .hasMessageContaining("bytes (at most 1024)");
    }

    @Test
    void aCommitWithMoreParentsThanAnyHistoryNeedsIsRefused() throws Exception {
        ObjectId root = rootOf(base);
        List<ObjectId> parents = new ArrayList<>();
        for (int i = 0; i <= ImportedObjectChecker.MAX_PARENTS; i++) {
            parents.add(ObjectId.fromString(commit(root, List.of(ObjectId.fromString(base)), "branch " + i)));
        }
        String tip = commit(root, parents, "octopus");

        assertRefusedAndAbsent(tip, "more than 64 parents");
    }

    @Test
    void aCommitOfMegabytesOfMessageIsRefused() throws Exception {
        String tip = commit(rootOf(base), List.of(ObjectId.fromString(base)), "x".repeat(ImportedObjectChecker.MAX_COMMIT_BYTES));

        assertRefusedAndAbsent(tip, "at most 1048576");
    }

    @Test
    void anOrdinaryTreeWithAMergeAndOddButHarmlessNamesStillImportsAndChecksOut() throws Exception {
        // Names Windows' own mode would refuse (aux.py) or that only look odd are ordinary here.
        ObjectId sub = tree(List.of(Entry.file("aux.py", blob("a")), Entry.file("con.txt", blob("c")),
                Entry.file("données é.csv", blob("d")), Entry.file("git~x", blob("g")), Entry.file(".gitignore", blob("*.pt\n"))));
        ObjectId root = tree(List.of(Entry.file("train.py", blob("lr = 0.3\n")), new Entry(FileMode.TREE, bytes("src"), sub)));
        String side = commit(root, List.of(ObjectId.fromString(base)), "side");
        String tip = commit(root, List.of(ObjectId.fromString(base), ObjectId.fromString(side)), "merge");

        assertThat(target.importBundle(bundleOf(tip), tip, 64 << 20)).isEqualTo(tip);
        Path checkout = tmp.resolve("checkout");
        target.checkout(tip, checkout);
        assertThat(Files.readString(checkout.resolve("src/données é.csv"))).isEqualTo("d");
        assertThat(Files.readString(checkout.resolve("src/aux.py"))).isEqualTo("a");
    }

    @Test
    void aHeldCommitWithALinkIsRefusedBeforeTheCheckoutWritesAnything() throws Exception {
        // Held from before these checks (an older version imported it): the checkout is the last line.
        String tip = commitWithRoot(List.of(Entry.file("a.py", blob("print(1)\n")),
                new Entry(FileMode.SYMLINK, bytes("link"), blob("/etc"))));
        ByteArrayOutputStream pack = new ByteArrayOutputStream();
        try (PackWriter writer = new PackWriter(source.repository())) {
            writer.preparePack(NullProgressMonitor.INSTANCE, Set.of(ObjectId.fromString(tip)), Set.of());
            writer.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, pack);
        }
        try (ObjectInserter inserter = target.repository().newObjectInserter()) {
            PackParser parser = inserter.newPackParser(new ByteArrayInputStream(pack.toByteArray()));
            parser.parse(NullProgressMonitor.INSTANCE);
            inserter.flush();
        }
        RefUpdate ref = target.repository().updateRef(NodeRepository.COMMIT_REFS + tip);
        ref.setNewObjectId(ObjectId.fromString(tip));
        ref.update();
        Path checkout = tmp.resolve("job");

        assertThatThrownBy(() -> target.checkout(tip, checkout)).hasMessageContaining("symbolic link at 'link'");
        try (Stream<Path> written = Files.exists(checkout) ? Files.list(checkout) : Stream.empty()) {
            assertThat(written).isEmpty();
        }
    }

    private void assertRefusedAndAbsent(String tip, String named) throws Exception {
        byte[] bundle = bundleOf(tip);
        assertThatThrownBy(() -> target.importBundle(bundle, tip, 64 << 20))
                .isInstanceOf(BundleException.class)
                .isNotInstanceOf(BundleTooLargeException.class)
                .hasMessageContaining(named);
        assertThat(target.has(tip)).isFalse();
        assertThat(target.repository().getObjectDatabase().has(ObjectId.fromString(tip))).isFalse();
        // The repository still takes an honest commit after the refusal.
        String honest = source.commitFiles(base, Map.of("train.py", "lr = 0.4\n".getBytes()), "honest", AUTHOR);
        assertThat(target.importBundle(source.bundle(honest, List.of(base)).path(), honest, 64 << 20)).isEqualTo(honest);
    }

    private byte[] bundleOf(String tip) throws IOException {
        return PaddedBundles.bundle(source, tip, List.of(base), List.of(tip), List.of(base));
    }

    private Entry hostileEntry(FileMode mode, byte[] name) throws IOException {
        if (mode == FileMode.TREE) {
            return new Entry(mode, name, tree(List.of(Entry.file("config", blob("[core]\n\tfsmonitor = ./evil\n")))));
        }
        if (mode == FileMode.GITLINK) {
            return new Entry(mode, name, ObjectId.fromString(base));
        }
        return new Entry(mode, name, blob(mode == FileMode.SYMLINK ? "/etc/passwd" : "data"));
    }

    private ObjectId blob(String content) throws IOException {
        return HostileTrees.blob(source, content);
    }

    private ObjectId tree(List<Entry> entries) throws IOException {
        return HostileTrees.tree(source, entries);
    }

    private String commitWithRoot(List<Entry> entries) throws IOException {
        return commit(tree(entries), List.of(ObjectId.fromString(base)), "hostile");
    }

    private String commit(ObjectId tree, List<ObjectId> parents, String message) throws IOException {
        return HostileTrees.commit(source, tree, parents, message);
    }

    /** {@code tree} under {@code levels} directories each named {@code name}. */
    private ObjectId nested(String name, int levels, ObjectId tree) throws IOException {
        for (int level = 0; level < levels; level++) {
            tree = tree(List.of(new Entry(FileMode.TREE, bytes(name), tree)));
        }
        return tree;
    }

    private ObjectId rootOf(String commit) throws IOException {
        try (RevWalk walk = new RevWalk(source.repository())) {
            return walk.parseCommit(ObjectId.fromString(commit)).getTree().copy();
        }
    }
}
