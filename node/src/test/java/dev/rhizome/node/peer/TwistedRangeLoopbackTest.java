package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A holder that answers the ranges of a fetch in pieces with its true header and end but chunks
 * twisted as a rogue written from the schema might: overlapping, out of order, each sent twice,
 * one byte past the range's end (past the bundle's last byte for the last piece), or of another
 * bundle's bytes at the true offsets. Whatever it sends, the bundle imported is the true one, the
 * honest holder completes it and is never named, and the rogue is: for a wrong bundle (even true
 * bytes out of order: a range's chunks come in order, so any other is a lie, refused at its first
 * chunk), or for an oversized answer (a byte past the range). Real sockets on loopback, a
 * real Netty fetcher, the rogue a {@link RogueHolder}.
 */
class TwistedRangeLoopbackTest {
    @TempDir
    Path tmp;

    record Verdict(int port, PeerFailure.Kind kind, String message) {
    }

    /** How the rogue twists a range's true chunks, given the whole true bundle. */
    enum Twist {
        OVERLAPPING(PeerFailure.Kind.BAD_BUNDLE, (chunks, bundle) -> {
            // each chunk after the first starts 100 bytes into the one before it: true bytes, sent twice
            List<BundleChunk> out = new ArrayList<>();
            for (BundleChunk c : chunks) {
                long from = out.isEmpty() ? c.getOffset() : c.getOffset() - 100;
                out.add(chunk(from, ByteString.copyFrom(bundle, (int) from, (int) (c.getOffset() + c.getData().size() - from))));
            }
            return out;
        }),
        OUT_OF_ORDER(PeerFailure.Kind.BAD_BUNDLE, (chunks, bundle) -> {
            List<BundleChunk> out = new ArrayList<>(chunks);
            Collections.reverse(out);
            return out;
        }),
        REPEATED(PeerFailure.Kind.BAD_BUNDLE, (chunks, bundle) -> {
            List<BundleChunk> out = new ArrayList<>();
            chunks.forEach(c -> {
                out.add(c);
                out.add(c);
            });
            return out;
        }),
        ONE_PAST_THE_END(PeerFailure.Kind.OVERSIZED, (chunks, bundle) -> {
            List<BundleChunk> out = new ArrayList<>(chunks);
            BundleChunk last = chunks.get(chunks.size() - 1);
            out.add(chunk(last.getOffset() + last.getData().size(), ByteString.copyFrom(new byte[] {42})));
            return out;
        }),
        ANOTHER_BUNDLES_BYTES(PeerFailure.Kind.BAD_BUNDLE, (chunks, bundle) -> {
            byte[] other = new byte[bundle.length];
            new Random(99).nextBytes(other);
            return chunks.stream().map(c -> chunk(c.getOffset(), ByteString.copyFrom(other, (int) c.getOffset(), c.getData().size())))
                    .toList();
        });

        /** What the fetcher names the rogue for. */
        final PeerFailure.Kind kind;
        final BiFunction<List<BundleChunk>, byte[], List<BundleChunk>> twist;

        Twist(PeerFailure.Kind kind, BiFunction<List<BundleChunk>, byte[], List<BundleChunk>> twist) {
            this.kind = kind;
            this.twist = twist;
        }

        private static BundleChunk chunk(long offset, ByteString data) {
            return BundleChunk.newBuilder().setOffset(offset).setData(data).build();
        }
    }

    @ParameterizedTest
    @EnumSource(Twist.class)
    void aRangeAnsweredWithTwistedChunksNeverGetsAWrongBundleInAndOnlyTheRogueIsNamed(Twist twist) throws Exception {
        List<Verdict> verdicts = Collections.synchronizedList(new ArrayList<>());
        HolderVerdicts recording = (holder, failure) -> verdicts.add(new Verdict(holder.getPort(), failure.kind(),
                failure.getMessage()));
        // Alice paced (a piece takes her about half a second), so the rogue is asked for pieces before she could take them all.
        PeerConfig paced = TestNode.CONFIG.withUploads(8, 2 << 20, TestNode.CONFIG.chunkBytes());
        try (TestNode alice = new TestNode(tmp.resolve("alice"), paced); TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = RangeFetchTest.large(alice, 3.5);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            try (RogueHolder rogue = RogueHolder.always(bundle, RogueHolder.Answer.whole())) {
                UnaryOperator<List<BundleChunk>> twisted = chunks -> twist.twist.apply(chunks, bundle);
                rogue.rangeChunks = twisted;
                FetchResult result = carol.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), rogue.endpoint()),
                        TransferProgress.NONE, new Cancellation(), recording);

                assertThat(carol.repo.has(commit)).isTrue();
                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(rogue.offsets).as("the rogue was asked for a range").isNotEmpty();
                assertThat(verdicts).as("the rogue, and only it, is named").isNotEmpty().allSatisfy(v -> {
                    assertThat(v.port()).isEqualTo(rogue.endpoint().getPort());
                    assertThat(v.kind()).isEqualTo(twist.kind);
                });
            }
        }
    }
}
