package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.PeerMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frame limit at its very edge, over real loopback sockets: a holder sending its whole bundle
 * as one chunk whose frame, length prefix included, is exactly the fetcher's limit is served (the
 * limit counts the 4-byte prefix: {@code maxFrameBytes} is the frame on the wire, so the largest
 * message is 4 bytes less), and one byte more is refused at its header as oversized (a proven fault
 * of the holder), nothing of it imported. Both ends share the rule, so honest peers agree on it.
 */
class FrameLimitLoopbackTest {
    @TempDir
    Path tmp;

    private static PeerConfig withFrameLimit(int maxFrameBytes) {
        return new PeerConfig(maxFrameBytes, 1024, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(30));
    }

    @Test
    void aChunkFrameExactlyAtTheLimitIsTakenAndOneByteOverIsRefusedAsOversized() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice"))) {
            String commit = RangeFetchTest.large(alice, 0.25);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            int message = PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder()
                    .setData(ByteString.copyFrom(bundle))).build().getSerializedSize();
            int frame = message + 4;
            try (RogueHolder oneChunk = new RogueHolder(bundle, bundle.length, (connection, request) -> RogueHolder.Answer.whole())) {
                try (TestNode tight = new TestNode(tmp.resolve("tight"), withFrameLimit(frame - 1))) {
                    assertThatThrownBy(() -> tight.fetcher.fetchFrom(oneChunk.endpoint(), commit, TransferProgress.NONE,
                            new Cancellation()))
                            .isInstanceOfSatisfying(PeerFailure.class, f -> {
                                assertThat(f.kind()).isEqualTo(PeerFailure.Kind.OVERSIZED);
                                assertThat(f.blameless()).as("a proven fault of the holder").isFalse();
                            });
                    assertThat(tight.repo.has(commit)).isFalse();
                }
                try (TestNode exact = new TestNode(tmp.resolve("exact"), withFrameLimit(frame))) {
                    FetchResult result = exact.fetcher.fetchFrom(oneChunk.endpoint(), commit, TransferProgress.NONE, new Cancellation());
                    assertThat(result.bytes()).isEqualTo(bundle.length);
                    assertThat(exact.repo.has(commit)).isTrue();
                }
            }
        }
    }
}
