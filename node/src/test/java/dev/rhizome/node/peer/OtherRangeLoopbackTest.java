package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.BundleFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A holder that answers a range request with another range of the same true bundle (true header,
 * true digests, chunks honestly labelled with the offsets they come from, a piece on from the one
 * asked): bytes of the bundle, but not the ones asked, so a fetcher taking them by count would
 * write them at the wrong place. It is a wrong bundle at its first chunk, nothing of it is kept,
 * and the honest holder completes the bundle, never named. Real sockets on loopback, a real Netty
 * fetcher, the rogue a {@link RogueHolder}.
 */
class OtherRangeLoopbackTest {
    @TempDir
    Path tmp;

    record Verdict(int port, PeerFailure.Kind kind, String message) {
    }

    @Test
    void aRangeAnsweredWithAnotherRangeIsAWrongBundleAndTheHonestHolderCompletesIt() throws Exception {
        List<Verdict> verdicts = Collections.synchronizedList(new ArrayList<>());
        HolderVerdicts recording = (holder, failure) -> verdicts.add(new Verdict(holder.getPort(), failure.kind(),
                failure.getMessage()));
        // Alice paced (a piece takes her about half a second), so the rogue is asked for pieces before she could take them all.
        PeerConfig paced = TestNode.CONFIG.withUploads(8, 2 << 20, TestNode.CONFIG.chunkBytes());
        try (TestNode alice = new TestNode(tmp.resolve("alice"), paced); TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = RangeFetchTest.large(alice, 3.5);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            try (RogueHolder rogue = new RogueHolder(bundle, 64 * 1024,
                    (connection, request) -> RogueHolder.Answer.otherRange(BundleFile.PIECE_BYTES))) {
                FetchResult result = carol.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), rogue.endpoint()),
                        TransferProgress.NONE, new Cancellation(), recording);

                assertThat(carol.repo.has(commit)).isTrue();
                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(rogue.offsets).isNotEmpty(); // it was asked, and answered with another range
                assertThat(verdicts).isNotEmpty().allSatisfy(v -> {
                    assertThat(v.port()).isEqualTo(rogue.endpoint().getPort());
                    assertThat(v.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE);
                    assertThat(v.message()).contains("sent a chunk at offset");
                });
            }
        }
    }
}
