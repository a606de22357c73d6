package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.PieceDigests;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A holder that ends each upload with BUSY just before its end: its bytes are kept, cut to the
 * pieces that match its header, and the next holder of the same bundle is asked only for the rest,
 * so what such a rogue wastes is at most a piece per ask. A kept prefix never poisons an honest
 * holder: one with another bundle serves its own from the start. Real sockets on loopback, a real
 * server and fetcher (Netty) for the honest side.
 */
class PartialBundleTest {
    @TempDir
    Path tmp;

    @Test
    void aBusyJustBeforeTheEndKeepsTheVerifiedPiecesAndTheNextHolderSendsOnlyTheRest() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            int cut = bundle.length - 1_000;
            try (BusyBeforeTheEnd rogue = new BusyBeforeTheEnd(bundle, cut)) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOfSatisfying(PeerFailure.class, f -> {
                            assertThat(f.declined()).isEqualTo(PeerFailure.Declined.ENDED_LATE); // it rests at once
                            assertThat(f.blameless()).isTrue(); // and costs nothing: an honest holder may do it
                        });
                long kept = (long) (cut / BundleFile.PIECE_BYTES) * BundleFile.PIECE_BYTES;

                FetchResult result = bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                // Alice sent only what was not kept: the rogue's waste is what followed the last whole piece.
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(cut + (bundle.length - kept));
            }
        }
    }

    @Test
    void theSameRogueAskedAgainResumesTooSoEachAskWastesAtMostAPiece() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            int cut = bundle.length - 1_000;
            try (BusyBeforeTheEnd rogue = new BusyBeforeTheEnd(bundle, cut)) {
                for (int ask = 0; ask < 3; ask++) {
                    assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE,
                            new Cancellation())).isInstanceOf(PeerFailure.class);
                }
                long kept = (long) (cut / BundleFile.PIECE_BYTES) * BundleFile.PIECE_BYTES;
                assertThat(rogue.offsets).containsExactly(0L, kept, kept);
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(cut + 2 * (cut - kept));
                assertThat(cut - kept).isLessThanOrEqualTo(BundleFile.PIECE_BYTES);
            }
        }
    }

    @Test
    void aKeptPrefixOfAnotherBundleNeverCostsAnHonestHolder_itServesItsOwnFromTheStart() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            byte[] junk = new byte[bundle.length];
            new Random(3).nextBytes(junk);
            try (BusyBeforeTheEnd rogue = new BusyBeforeTheEnd(junk, junk.length - 1_000)) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOf(PeerFailure.class);

                FetchResult result = bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
            }
        }
    }

    private static String bigCommit(TestNode node) throws Exception {
        byte[] noise = new byte[3 * BundleFile.PIECE_BYTES + 200_000];
        new Random(11).nextBytes(noise);
        return node.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)), "seed",
                PeerTransferTest.AUTHOR);
    }

    /**
     * A rogue holder of {@code bundle} (with its true digests, piece by piece): from the offset
     * asked, it sends every byte up to {@code cutAt} and then says BUSY, every time. Asked for
     * another bundle's SHA-256 it says CONFLICT, as an honest server would.
     */
    private static final class BusyBeforeTheEnd implements AutoCloseable {
        final Identity identity = Identity.generate();
        final List<Long> offsets = new CopyOnWriteArrayList<>();
        private final ServerSocket socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());

        BusyBeforeTheEnd(byte[] bundle, int cutAt) throws IOException {
            PieceDigests digests = new PieceDigests(BundleFile.PIECE_BYTES);
            digests.update(bundle, 0, bundle.length);
            PieceDigests.Result result = digests.finish();
            BundleHeader.Builder header = BundleHeader.newBuilder().setSize(bundle.length)
                    .setSha256(ByteString.copyFrom(result.sha256())).setPieceBytes(result.pieceBytes());
            result.pieceSha256().forEach(p -> header.addPieceSha256(ByteString.copyFrom(p)));
            Thread thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    serve(bundle, cutAt, header);
                }
            }, "busy-before-the-end");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(byte[] bundle, int cutAt, BundleHeader.Builder header) {
            try (Socket client = socket.accept()) {
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                RawWire.answerFetch(RawWire.read(in), in, out, identity);
                BundleRequest request = RawWire.read(in).getBundleRequest();
                offsets.add(request.getOffset());
                if (!request.getBundleSha256().isEmpty() && !request.getBundleSha256().equals(header.getSha256())) {
                    RawWire.write(out, PeerMessages.error(Error.Code.CONFLICT, "no such bundle here"));
                } else {
                    RawWire.write(out, PeerMessage.newBuilder().setBundleHeader(header.setCommit(request.getCommit())).build());
                    for (int offset = (int) request.getOffset(); offset < cutAt; offset += 64 * 1024) {
                        ByteString data = ByteString.copyFrom(bundle, offset, Math.min(64 * 1024, cutAt - offset));
                        RawWire.write(out, PeerMessage.newBuilder()
                                .setBundleChunk(BundleChunk.newBuilder().setOffset(offset).setData(data)).build());
                    }
                    RawWire.write(out, ServeSession.busy("upload ended early"));
                }
                while (in.read() >= 0) {
                    // wait for the client to hang up
                }
            } catch (Exception ignored) {
                // the client hangs up when it has what it wants
            }
        }

        PeerEndpoint endpoint() {
            return PeerEndpoint.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(socket.getLocalPort()).build();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
