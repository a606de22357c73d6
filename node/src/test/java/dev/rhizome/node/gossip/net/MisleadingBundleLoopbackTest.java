package dev.rhizome.node.gossip.net;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.BundleWriter;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas ({@link ServingRogue}: true
 * digests, the range asked, a proper end) whose lie is inside a git bundle that names the very
 * commit asked for: a valid pack of that commit carrying extra objects its tip does not reach
 * (unreferenced data riding along, to be stored at the asker and outlive the transfer), and a
 * header naming the commit asked over another commit's pack. Each is a wrong bundle (-16), nothing
 * of it stays in the asker's repository (the import's quarantine), and the honest maker's bundle
 * still arrives, its maker unscored.
 */
class MisleadingBundleLoopbackTest extends LoopbackTest {
    @Test
    void aValidPackOfTheRightCommitWithExtraUnreferencedObjectsIsALieAndTheExtrasAreNotKept() throws Exception {
        Path dir = tmp.resolve("rogue.git");
        String tip;
        String extra;
        try (NodeRepository rogue = NodeRepository.open(dir)) {
            tip = rogue.commitFiles(null, Map.of("train.py", "lr = 0.1\n".getBytes(UTF_8)), "the commit", GossipServiceTest.AUTHOR);
            extra = rogue.commitFiles(null, Map.of("cargo.bin", "unreferenced cargo\n".repeat(1_000).getBytes(UTF_8)),
                    "riding along", GossipServiceTest.AUTHOR);
        }
        // One pack with both commits' objects, under a header naming only the tip.
        byte[] bundle = withoutRefLine(bundleOf(dir, Map.of("refs/heads/tip", tip, "refs/heads/extra", extra)), extra);

        LoopbackNet.Honest honest = net.besideLyingServer(tmp, tip, bundle);

        for (String node : List.of("maker", "asker")) {
            assertThat(LoopbackNet.stores(tmp.resolve(node), extra)).as("%s stored the extra commit", node).isFalse();
        }
        assertThat(honest.asker().repo().has(tip)).isFalse();
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
    }

    @Test
    void aHeaderNamingTheCommitAskedOverAnotherCommitsPackIsALieAndNothingOfItIsKept() throws Exception {
        Path dir = tmp.resolve("rogue.git");
        String asked;
        String packed;
        try (NodeRepository rogue = NodeRepository.open(dir)) {
            asked = rogue.commitFiles(null, Map.of("train.py", "lr = 0.2\n".getBytes(UTF_8)), "asked", GossipServiceTest.AUTHOR);
            packed = rogue.commitFiles(null, Map.of("notes.txt", "another commit's pack\n".getBytes(UTF_8)), "packed",
                    GossipServiceTest.AUTHOR);
        }
        byte[] bundle = new String(bundleOf(dir, Map.of("refs/heads/tip", packed)), java.nio.charset.StandardCharsets.ISO_8859_1)
                .replaceFirst(packed, asked).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

        LoopbackNet.Honest honest = net.besideLyingServer(tmp, asked, bundle);

        for (String node : List.of("maker", "asker")) {
            assertThat(LoopbackNet.stores(tmp.resolve(node), packed)).as("%s stored the packed commit", node).isFalse();
        }
        assertThat(honest.asker().repo().has(asked)).isFalse();
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
    }

    private static byte[] bundleOf(Path gitDir, Map<String, String> refs) throws Exception {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setBare().build()) {
            BundleWriter writer = new BundleWriter(repo);
            refs.forEach((name, id) -> writer.include(name, ObjectId.fromString(id)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writer.writeBundle(NullProgressMonitor.INSTANCE, out);
            return out.toByteArray();
        }
    }

    /** The bundle with the header line naming {@code commit} taken out (the pack unchanged). */
    private static byte[] withoutRefLine(byte[] bundle, String commit) {
        String text = new String(bundle, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = text.indexOf(commit + " ");
        assertThat(at).isPositive();
        int end = text.indexOf('\n', at) + 1;
        return (text.substring(0, at) + text.substring(end)).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
