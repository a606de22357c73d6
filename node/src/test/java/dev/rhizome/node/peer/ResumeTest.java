package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.BundleRequest;
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
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A transfer cut off midway resumes from the same peer at the byte it reached, and still verifies. */
class ResumeTest {
    @TempDir
    Path tmp;

    @Test
    void aDroppedTransferResumesAtTheByteReachedAndImports() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            try (FlakyPeer flaky = new FlakyPeer(bundle, bundle.length / 3, false)) {
                FetchResult result = bob.fetcher.fetchFrom(flaky.endpoint(flaky.identity), commit, TransferProgress.NONE,
                        new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(flaky.offsets).containsExactly(0L, (long) (bundle.length / 3) / 1000 * 1000);
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(bundle.length);
            }
        }
    }

    @Test
    void aResumeThatOffersAnotherBundleIsRefused() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            try (FlakyPeer flaky = new FlakyPeer(bundle, bundle.length / 3, true)) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(flaky.endpoint(flaky.identity), commit, TransferProgress.NONE,
                        new Cancellation()))
                        .isInstanceOfSatisfying(PeerFailure.class, f -> assertThat(f.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE))
                        .hasMessageContaining("different bundle");
                assertThat(bob.repo.has(commit)).isFalse();
            }
        }
    }

    private static String bigCommit(TestNode node) throws Exception {
        byte[] noise = new byte[50_000];
        new Random(7).nextBytes(noise);
        return node.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)), "seed",
                PeerTransferTest.AUTHOR);
    }

    /**
     * Serves in 1000-byte chunks from the requested offset. The first connection is cut after
     * {@code cutAt} bytes; a later one may announce a different digest.
     */
    private static final class FlakyPeer implements AutoCloseable {
        final Identity identity = Identity.generate();
        final List<Long> offsets = new CopyOnWriteArrayList<>();
        private final ServerSocket socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());

        FlakyPeer(byte[] bundle, int cutAt, boolean changeDigest) throws IOException {
            Thread thread = new Thread(() -> {
                for (int connection = 0; !socket.isClosed(); connection++) {
                    serve(bundle, connection == 0 ? cutAt : Integer.MAX_VALUE, changeDigest && connection > 0);
                }
            }, "flaky-peer");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(byte[] bundle, int cutAt, boolean changeDigest) {
            try (Socket client = socket.accept()) {
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                RawWire.answerFetch(RawWire.read(in), in, out, identity);
                BundleRequest request = RawWire.read(in).getBundleRequest();
                offsets.add(request.getOffset());
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(bundle);
                if (changeDigest) {
                    digest[0] ^= 1;
                }
                RawWire.write(out, PeerMessage.newBuilder().setBundleHeader(BundleHeader.newBuilder()
                        .setCommit(request.getCommit()).setSize(bundle.length).setSha256(ByteString.copyFrom(digest))).build());
                for (int offset = (int) request.getOffset(); offset < bundle.length; offset += 1000) {
                    if (offset + 1000 > cutAt) {
                        return;
                    }
                    ByteString data = ByteString.copyFrom(bundle, offset, Math.min(1000, bundle.length - offset));
                    RawWire.write(out, PeerMessage.newBuilder()
                            .setBundleChunk(BundleChunk.newBuilder().setOffset(offset).setData(data)).build());
                }
                RawWire.write(out, PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(request.getCommit())).build());
                while (in.read() >= 0) {
                    // wait for the client to hang up
                }
            } catch (Exception ignored) {
                // the client hangs up when it has what it wants, or refuses us
            }
        }

        PeerEndpoint endpoint(Identity id) {
            return PeerEndpoint.newBuilder().setNode(id.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(socket.getLocalPort()).build();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
