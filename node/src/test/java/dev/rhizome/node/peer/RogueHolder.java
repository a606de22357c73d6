package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.PieceDigests;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A holder of one bundle played by hand over plain sockets, for the tests of transfers that end
 * early (one fixture for resumes, kept prefixes and ranges): it proves its key, announces the
 * bundle with its true piece digests (or, asked to, with a false whole digest), and serves the
 * bytes asked for, whole or a range, in chunks, until its {@link Plan} says to stop: then it drops
 * the connection or says BUSY. Asked for another bundle's SHA-256 it says CONFLICT, as an honest
 * server would (unless it lies about its digest).
 */
final class RogueHolder implements AutoCloseable {
    /** How an answer ends before its last byte. */
    enum Stop { DROP, BUSY }

    /**
     * How one answer goes: bytes from the offset asked up to {@code cutAt} (exclusive; past the
     * end: all of them, then the end), then {@code stop}; {@code otherDigest} announces a false
     * whole digest; {@code shiftBy} answers with another range as long, that many bytes on (its
     * chunks labelled with their true offsets).
     */
    record Answer(long cutAt, Stop stop, boolean otherDigest, long shiftBy) {
        Answer(long cutAt, Stop stop, boolean otherDigest) {
            this(cutAt, stop, otherDigest, 0);
        }

        /** The range {@code by} bytes past the one asked, whole, then the end. */
        static Answer otherRange(long by) {
            return new Answer(Long.MAX_VALUE, Stop.DROP, false, by);
        }

        static Answer whole() {
            return new Answer(Long.MAX_VALUE, Stop.DROP, false);
        }

        static Answer dropAt(long cutAt) {
            return new Answer(cutAt, Stop.DROP, false);
        }

        static Answer busyAt(long cutAt) {
            return new Answer(cutAt, Stop.BUSY, false);
        }
    }

    /** The answer to the request on the {@code connection}-th connection (from 0). */
    @FunctionalInterface
    interface Plan {
        Answer answer(int connection, BundleRequest request);
    }

    final Identity identity = Identity.generate();
    /** The offset of each request, in order. */
    final List<Long> offsets = new CopyOnWriteArrayList<>();
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final byte[] bundle;
    private final int chunkBytes;
    private final Plan plan;
    private final BundleHeader header;
    /** Bytes a second each answer is paced to (0: as fast as the socket takes them). */
    private final long bytesPerSecond;
    /**
     * What a range's answer sends instead of its true chunks (each labelled with its offset), the
     * header and end left true: chunks overlapping, out of order, repeated, past the end, of other bytes.
     * A whole bundle's answer is left alone, so a fetch that asks in pieces meets the twist.
     */
    volatile UnaryOperator<List<BundleChunk>> rangeChunks = UnaryOperator.identity();
    /**
     * A piece whose digest every header announces false (one bit flipped), its bytes served true:
     * a rogue first holder making every honest holder's true piece fail its word. -1: none.
     */
    volatile int falsePieceDigest = -1;

    RogueHolder(byte[] bundle, int chunkBytes, Plan plan) throws IOException {
        this(bundle, chunkBytes, plan, 0);
    }

    /**
     * Each answer's chunks paced to {@code bytesPerSecond}, on the wall clock with catch-up (a
     * chunk sent late is followed at once by what is owed), so a thread starved under load still
     * sends at the rate asked on average: a trickler playing at a chosen distance from the stall rule.
     */
    RogueHolder(byte[] bundle, int chunkBytes, Plan plan, long bytesPerSecond) throws IOException {
        this.bundle = bundle;
        this.chunkBytes = chunkBytes;
        this.plan = plan;
        this.bytesPerSecond = bytesPerSecond;
        PieceDigests digests = new PieceDigests(BundleFile.PIECE_BYTES);
        digests.update(bundle, 0, bundle.length);
        PieceDigests.Result result = digests.finish();
        BundleHeader.Builder builder = BundleHeader.newBuilder().setSize(bundle.length)
                .setSha256(ByteString.copyFrom(result.sha256())).setPieceBytes(result.pieceBytes());
        result.pieceSha256().forEach(p -> builder.addPieceSha256(ByteString.copyFrom(p)));
        this.header = builder.build();
        Thread thread = new Thread(() -> {
            for (int connection = 0; !socket.isClosed(); connection++) {
                accept(connection);
            }
        }, "rogue-holder");
        thread.setDaemon(true);
        thread.start();
    }

    /** Every connection answered as {@code answer} says. */
    static RogueHolder always(byte[] bundle, Answer answer) throws IOException {
        return new RogueHolder(bundle, 64 * 1024, (connection, request) -> answer);
    }

    private void accept(int connection) {
        Socket client;
        try {
            client = socket.accept();
        } catch (IOException closed) {
            return;
        }
        // Each connection on its own thread: a fetch in pieces asks on several at once.
        Thread serving = new Thread(() -> serve(client, connection), "rogue-holder-" + connection);
        serving.setDaemon(true);
        serving.start();
    }

    private void serve(Socket client, int connection) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            RawWire.answerFetch(RawWire.read(in), in, out, identity);
            BundleRequest request = RawWire.read(in).getBundleRequest();
            offsets.add(request.getOffset());
            Answer answer = plan.answer(connection, request);
            BundleHeader.Builder announced = header.toBuilder().setCommit(request.getCommit());
            int falsePiece = falsePieceDigest;
            if (falsePiece >= 0) {
                byte[] digest = header.getPieceSha256(falsePiece).toByteArray();
                digest[0] ^= 1;
                announced.setPieceSha256(falsePiece, ByteString.copyFrom(digest));
            }
            if (answer.otherDigest()) {
                byte[] digest = header.getSha256().toByteArray();
                digest[0] ^= 1;
                announced.setSha256(ByteString.copyFrom(digest));
            } else if (!request.getBundleSha256().isEmpty() && !request.getBundleSha256().equals(header.getSha256())) {
                RawWire.write(out, PeerMessages.error(Error.Code.CONFLICT, "no such bundle here"));
                hangUp(in);
                return;
            }
            RawWire.write(out, PeerMessage.newBuilder().setBundleHeader(announced).build());
            long end = request.getLength() == 0 ? bundle.length : Math.min(bundle.length, request.getOffset() + request.getLength());
            long stopAt = Math.min(end, answer.cutAt());
            long startedNanos = System.nanoTime();
            long shift = Math.max(-request.getOffset(), Math.min(answer.shiftBy(), bundle.length - end));
            List<BundleChunk> chunks = new ArrayList<>();
            for (long offset = request.getOffset() + shift; offset < stopAt + shift; offset += chunkBytes) {
                ByteString data = ByteString.copyFrom(bundle, (int) offset, (int) Math.min(chunkBytes, stopAt + shift - offset));
                chunks.add(BundleChunk.newBuilder().setOffset(offset).setData(data).build());
            }
            long sent = 0;
            for (BundleChunk chunk : request.getOffset() > 0 || request.getLength() > 0 ? rangeChunks.apply(chunks) : chunks) {
                pace(sent, startedNanos);
                sent += chunk.getData().size();
                RawWire.write(out, PeerMessage.newBuilder().setBundleChunk(chunk).build());
            }
            if (stopAt == end) {
                RawWire.write(out, PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(request.getCommit())).build());
            } else if (answer.stop() == Stop.DROP) {
                return;
            } else {
                RawWire.write(out, ServeSession.busy("upload ended early"));
            }
            hangUp(in);
        } catch (Exception ignored) {
            // the client hangs up when it has what it wants, or refuses us
        }
    }

    /** Waits until {@code sent} bytes are due at the pace asked, counted from {@code startedNanos}. */
    private void pace(long sent, long startedNanos) throws InterruptedException {
        if (bytesPerSecond > 0) {
            long dueNanos = startedNanos + sent * 1_000_000_000L / bytesPerSecond;
            long waitNanos = dueNanos - System.nanoTime();
            if (waitNanos > 0) {
                Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
            }
        }
    }

    private static void hangUp(InputStream in) throws IOException {
        while (in.read() >= 0) {
            // wait for the client to hang up
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
