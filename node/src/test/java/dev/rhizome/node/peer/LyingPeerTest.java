package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Peers that lie about what they send: the fetcher refuses each, imports nothing, and moves on. */
class LyingPeerTest {
    @TempDir
    Path tmp;

    @Test
    void aBundleWhoseTipIsNotTheRequestedCommitIsRefusedAndNothingIsImported() throws Exception {
        try (NodeRepository liar = NodeRepository.open(tmp.resolve("liar.git")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String wanted = liar.commitFiles(null, Map.of("train.py", "honest".getBytes(UTF_8)), "wanted", PeerTransferTest.AUTHOR);
            String other = liar.commitFiles(null, Map.of("train.py", "import os; os.system('boom')".getBytes(UTF_8)), "other",
                    PeerTransferTest.AUTHOR);
            byte[] wrongBundle = Files.readAllBytes(liar.bundle(other, List.of()).path());

            try (FakePeer fake = new FakePeer(wrongBundle, UnaryOperator.identity())) {
                assertThatThrownBy(() -> bob.fetcher.fetch(wanted, List.of(fake.endpoint()), TransferProgress.NONE))
                        .isInstanceOf(FetchException.class)
                        .hasMessageContaining("bundle tip is " + other + ", expected " + wanted);
            }
            assertThat(bob.repo.commits()).isEmpty();
            assertThat(bob.repo.has(other)).isFalse();
            assertThat(TransferLog.read(bob.transferLog).transfers()).isZero();
        }
    }

    @Test
    void aHeaderOverTheLimitOrABadDigestIsRefusedAndTheNextPeerServes() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String seed = PeerTransferTest.seed(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(seed, List.of()).path());

            try (FakePeer huge = new FakePeer(bundle, h -> h.toBuilder().setSize(TestNode.CONFIG.maxBundleBytes() + 1).build());
                 FakePeer corrupt = new FakePeer(bundle, h -> h.toBuilder().setSha256(ByteString.copyFrom(new byte[32])).build())) {
                FetchResult result = bob.fetcher.fetch(seed, List.of(huge.endpoint(), corrupt.endpoint(), alice.endpoint()),
                        TransferProgress.NONE);

                assertThat(result.from().getPort()).isEqualTo(alice.server.port());
            }
        }
    }

    @Test
    void moreBytesThanAnnouncedAreRefused() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String seed = PeerTransferTest.seed(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(seed, List.of()).path());

            try (FakePeer understated = new FakePeer(bundle, h -> h.toBuilder().setSize(bundle.length - 10).build())) {
                assertThatThrownBy(() -> bob.fetcher.fetch(seed, List.of(understated.endpoint()), TransferProgress.NONE))
                        .isInstanceOf(FetchException.class).hasMessageContaining("sent more than the");
            }
            assertThat(bob.repo.commits()).isEmpty();
        }
    }

    /** Answers any request with the given bytes, under a header it may falsify. */
    private static final class FakePeer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        private final Thread thread;

        FakePeer(byte[] bundle, UnaryOperator<BundleHeader> falsify) throws IOException {
            thread = new Thread(() -> serve(bundle, falsify), "fake-peer");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(byte[] bundle, UnaryOperator<BundleHeader> falsify) {
            try (Socket client = socket.accept()) {
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                RawWire.answerFetch(RawWire.read(in), in, out, Identity.generate());
                String commit = RawWire.read(in).getBundleRequest().getCommit();
                BundleHeader honest = BundleHeader.newBuilder().setCommit(commit).setSize(bundle.length)
                        .setSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(bundle))).build();
                RawWire.write(out, PeerMessage.newBuilder().setBundleHeader(falsify.apply(honest)).build());
                for (int offset = 0; offset < bundle.length; offset += 100) {
                    ByteString data = ByteString.copyFrom(bundle, offset, Math.min(100, bundle.length - offset));
                    RawWire.write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder().setOffset(offset).setData(data)).build());
                }
                RawWire.write(out, PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(commit)).build());
                while (in.read() >= 0) {
                    // wait for the client to hang up
                }
            } catch (Exception ignored) {
                // the client may hang up mid-lie; that is its right
            }
        }

        PeerEndpoint endpoint() {
            return PeerEndpoint.newBuilder().setHost("127.0.0.1").setPort(socket.getLocalPort()).build();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
