package dev.rhizome.node.git;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pack's object count, read from a real bundle's first bytes whichever way they are cut. */
class PackObjectCountTest {
    static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");

    @TempDir
    Path tmp;

    @Test
    void aBundlesObjectCountIsKnownFromItsFirstBytesHoweverTheyArrive() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("repo.git"))) {
            String tip = null;
            for (int i = 0; i < 20; i++) {  // 20 commits, each with its tree and one blob of its own
                tip = repo.commitFiles(tip, Map.of("step.txt", ("step " + i + "\n").getBytes(UTF_8)), "step " + i, AUTHOR);
            }
            byte[] bundle = Files.readAllBytes(repo.bundle(tip, List.of()).path());
            for (int cut : new int[] {1, 7, 100, bundle.length}) {
                PackObjectCount count = new PackObjectCount();
                long seen = PackObjectCount.UNKNOWN;
                for (int at = 0; at < bundle.length && seen == PackObjectCount.UNKNOWN; at += cut) {
                    seen = count.update(ByteBuffer.wrap(bundle, at, Math.min(cut, bundle.length - at)));
                }
                assertThat(seen).as("fed %d bytes at a time", cut).isEqualTo(60);
            }
        }
    }

    @Test
    void bytesWithNoPackWhereItBelongsLeaveTheCountUnknown() {
        PackObjectCount count = new PackObjectCount();
        assertThat(count.update(ByteBuffer.wrap("# v2 git bundle\nnot a ref\n\nNOTAPACKHEADER".getBytes(UTF_8))))
                .isEqualTo(PackObjectCount.UNKNOWN);
        assertThat(new PackObjectCount().update(ByteBuffer.wrap(new byte[GitBundleHeader.MAX_HEADER_BYTES + 100])))
                .as("a header with no end in sight").isEqualTo(PackObjectCount.UNKNOWN);
    }
}
