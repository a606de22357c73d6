package dev.rhizome.node.peer;

import static dev.rhizome.node.peer.BundleBuildersTest.failureOf;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.PieceDigests;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rogue holder, written from the schemas and the framing (none of the node's sending code), that
 * answers every request BUSY and then goes on sending on the same connection: a bundle of its own
 * (a header, its chunks and its end, all consistent), as an honest holder never would. The BUSY is
 * the answer: what follows is not read into the fetch (read, it would be a bundle that is not a git
 * bundle, a wrong bundle charged -16, or worse a kept prefix of it), the BUSY's hint is passed on
 * as the unsigned number it is (the core bounds it, {@code GossipBusyHolderTest}), whatever it is,
 * and an honest holder of the same fetch in pieces serves the bundle, unblamed.
 */
class BusyThenDataLoopbackTest {
    /** The largest hint the wire can carry: 2^32 - 1 ms, about 50 days. */
    private static final int LARGEST_HINT = -1;

    @TempDir
    Path tmp;

    @Test
    void aBusyFollowedByABundleOnTheSameRequestIsABusyAndNoneOfWhatFollowsIsRead() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = PeerTransferTest.seed(alice);
            for (int hint : new int[] {0, 1, LARGEST_HINT}) {
                try (BusyThenData rogue = new BusyThenData(junk(200_000), hint)) {
                    PeerFailure busy = failureOf(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE,
                            new Cancellation()));
                    assertThat(busy.declined()).as("hint %s: %s", hint, busy.getMessage()).isEqualTo(PeerFailure.Declined.BUSY);
                    assertThat(busy.blameless()).isTrue();
                    assertThat(busy.retryAfterMs()).isEqualTo(Integer.toUnsignedLong(hint));
                    assertThat(rogue.asks).hasValue(1);
                }
            }
            assertThat(bob.repo.has(commit)).isFalse();
            assertThat(bob.fetcher.bytesReceived()).as("the rogue's bytes after its BUSY are not received").isZero();

            bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            assertThat(bob.repo.has(commit)).isTrue();
        }
    }

    @Test
    void inPiecesTheRogueIsLeftAsBusyAndTheHonestHolderServesEveryPieceUnblamed() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"));
             BusyThenData rogue = new BusyThenData(junk(3 * BundleFile.PIECE_BYTES + 1_000), LARGEST_HINT)) {
            byte[] noise = new byte[3 * BundleFile.PIECE_BYTES + 200_000];
            new Random(23).nextBytes(noise);
            String commit = alice.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)),
                    "seed", PeerTransferTest.AUTHOR);
            RecordedVerdicts verdicts = new RecordedVerdicts();
            bob.fetcher.fetchFromHolders(commit, List.of(rogue.endpoint(), alice.endpoint()), TransferProgress.NONE,
                    new Cancellation(), verdicts);
            assertThat(bob.repo.has(commit)).isTrue();
            assertThat(verdicts.faults).as("neither holder blamed").isEmpty();
            assertThat(verdicts.hints).containsOnlyKeys(rogue.endpoint()).containsEntry(rogue.endpoint(), Integer.toUnsignedLong(LARGEST_HINT));
            assertThat(rogue.asks).as("left out after its BUSY, not asked for every piece").hasValue(1);
        }
    }

    private static byte[] junk(int bytes) {
        byte[] junk = new byte[bytes];
        new Random(bytes).nextBytes(junk);
        return junk;
    }

    /** Proves its key, then answers each request with BUSY (the hint given) and then all of {@code bundle}. */
    private static final class BusyThenData implements AutoCloseable {
        final Identity identity = Identity.generate();
        final AtomicInteger asks = new AtomicInteger();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final byte[] bundle;
        private final int hint;

        BusyThenData(byte[] bundle, int hint) throws IOException {
            this.bundle = bundle;
            this.hint = hint;
            Thread accepting = new Thread(this::accept, "busy-then-data");
            accepting.setDaemon(true);
            accepting.start();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    Thread serving = new Thread(() -> serve(client), "busy-then-data-connection");
                    serving.setDaemon(true);
                    serving.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket client) {
            try (client) {
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                Hello theirs = RawWire.read(in).getHello();
                RawWire.write(out, PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
                        .setNode(identity.publicId().toByteString()).setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))).build());
                RawWire.read(in); // their proof: a rogue need not check it
                byte[] proof = HandshakeProof.sign(identity, theirs.getNonce().toByteArray(), PublicId.of(theirs.getNode()));
                RawWire.write(out, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(proof)))
                        .build());
                BundleRequest request = RawWire.read(in).getBundleRequest();
                asks.incrementAndGet();
                RawWire.write(out, PeerMessage.newBuilder().setError(Error.newBuilder().setCode(Error.Code.UNAVAILABLE)
                        .setMessage("busy").setRetryAfterMs(hint)).build());
                PieceDigests digests = new PieceDigests(BundleFile.PIECE_BYTES);
                digests.update(bundle, 0, bundle.length);
                PieceDigests.Result result = digests.finish();
                BundleHeader.Builder header = BundleHeader.newBuilder().setCommit(request.getCommit()).setSize(bundle.length)
                        .setSha256(ByteString.copyFrom(result.sha256())).setPieceBytes(result.pieceBytes());
                result.pieceSha256().forEach(p -> header.addPieceSha256(ByteString.copyFrom(p)));
                RawWire.write(out, PeerMessage.newBuilder().setBundleHeader(header).build());
                for (int offset = 0; offset < bundle.length; offset += 64 * 1024) {
                    ByteString data = ByteString.copyFrom(bundle, offset, Math.min(64 * 1024, bundle.length - offset));
                    RawWire.write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder().setOffset(offset).setData(data))
                            .build());
                }
                RawWire.write(out, PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(request.getCommit())).build());
                while (in.read() >= 0) {
                    // until the fetcher hangs up
                }
            } catch (IOException | RuntimeException ignored) {
                // the fetcher hung up mid-way: what a rogue expects
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
