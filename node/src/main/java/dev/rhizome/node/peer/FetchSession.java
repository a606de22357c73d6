package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.LateDecline;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.security.MessageDigest;
import java.util.List;

/**
 * The receiving side of one bundle transfer, without I/O: the peer's hello and its proof of key
 * (it signs the nonce our hello made for this connection, and we sign its, see {@link ServeSession}),
 * a header within our
 * limit for the commit we asked for, chunks in order that never pass the announced size, and an
 * end with every byte received and the announced digest. Every departure is a {@link PeerFailure}.
 * After a dropped connection the session can {@link #resume()}: the peer must then announce the
 * same size and digest again and carry on from the bytes already received.
 *
 * <p>Until the peer has proved the key of the holder we asked, nothing it says is held against
 * that holder: anyone answering at its address can say it, so every failure then is
 * {@link PeerFailure.Declined#UNPROVEN}.
 *
 * <p>A ranged session asks for bytes [offset, offset + length) of a bundle, optionally the one of a
 * known SHA-256: the header must then name that bundle and carry its piece digests (the fetcher
 * checks the pieces; the whole digest is checked once all pieces are assembled).
 */
final class FetchSession {
    private enum State { AWAIT_HELLO, AWAIT_PROOF, AWAIT_HEADER, RECEIVING, DONE }

    /** A piece over this is refused: a fetcher holds a piece in memory until it verifies. */
    static final int MAX_PIECE_BYTES = 8 << 20;

    private final String commit;
    private final long maxBytes;
    private final ByteString expectedNode;
    private final long offset;
    private final long length;
    private final boolean ranged;
    /** A kept prefix this session resumes (null: none); the header must agree with it. */
    private final KeptPrefix kept;
    private State state = State.AWAIT_HELLO;
    private ByteString peerNode = ByteString.EMPTY;
    private Identity self;
    private byte[] ourNonce;
    private PublicId claimed;
    private long size;
    private byte[] sha256;
    private int pieceBytes;
    private List<ByteString> pieceSha256 = List.of();
    private long end;
    private long received;

    /** @param expectedNode the node id we were told the peer has; empty to accept any that proves its key */
    FetchSession(String commit, long maxBytes, ByteString expectedNode) {
        this(commit, maxBytes, expectedNode, 0, 0, null, false, null);
    }

    /**
     * A whole transfer that resumes a prefix kept from an earlier one (perhaps another holder's):
     * bytes from {@code prefix.length()} on, of the bundle {@code prefix} belongs to. The header must
     * name that bundle and, for the pieces kept, the same piece digests; a holder whose digests
     * differ declines ({@link PeerFailure.Declined#OTHER_BUNDLE}): one of the two lied, and we cannot tell which.
     */
    static FetchSession resuming(String commit, long maxBytes, ByteString expectedNode, KeptPrefix prefix) {
        return new FetchSession(commit, maxBytes, expectedNode, prefix.length(), 0, prefix.sha256(), false, prefix);
    }

    /**
     * A session for bytes [offset, offset + length) (length 0: to the end) of the bundle whose
     * SHA-256 is {@code sha256} (null: whichever the peer offers).
     */
    static FetchSession range(String commit, long maxBytes, ByteString expectedNode, long offset, long length, byte[] sha256) {
        return new FetchSession(commit, maxBytes, expectedNode, offset, length, sha256, true, null);
    }

    /**
     * A session for bytes [offset, offset + length) of the bundle {@code prefix} belongs to, whose
     * header must also name the kept pieces' digests (else {@link PeerFailure.Declined#OTHER_BUNDLE}).
     */
    static FetchSession rangeResuming(String commit, long maxBytes, ByteString expectedNode, long offset, long length,
                                      KeptPrefix prefix) {
        return new FetchSession(commit, maxBytes, expectedNode, offset, length, prefix.sha256(), true, prefix);
    }

    private FetchSession(String commit, long maxBytes, ByteString expectedNode, long offset, long length, byte[] sha256,
                         boolean ranged, KeptPrefix kept) {
        this.kept = kept;
        this.commit = commit;
        this.maxBytes = maxBytes;
        this.expectedNode = expectedNode;
        this.offset = offset;
        this.length = length;
        this.sha256 = sha256 == null ? null : sha256.clone();
        this.ranged = ranged;
        this.received = offset;
    }

    /**
     * Our hello, as {@code self}, for a new connection (the first, or one that resumes), carrying
     * {@code nonce}, made for this connection: the peer proves its key by signing it.
     */
    PeerMessage open(Identity self, byte[] nonce) {
        PeerMessage hello = PeerMessages.hello(self, nonce);
        this.self = self;
        ourNonce = nonce.clone();
        claimed = null;
        state = State.AWAIT_HELLO;
        return hello;
    }

    /** The peer's hello; returns our proof of key over its nonce, to send before the request. */
    PeerMessage onHello(Hello hello) throws PeerFailure {
        expect(State.AWAIT_HELLO, "hello");
        String problem = PeerMessages.helloProblem(hello);
        if (problem != null) {
            throw unproven(problem);
        }
        if (hello.getNonce().size() != HandshakeProof.NONCE_BYTES) {
            throw unproven("says hello with no nonce to prove our key over (an older version?)");
        }
        if (!expectedNode.isEmpty() && !expectedNode.equals(hello.getNode())) {
            throw unproven("answers as node " + PublicId.hex(hello.getNode()) + ", not " + PublicId.hex(expectedNode) + " we asked");
        }
        claimed = PublicId.of(hello.getNode());
        state = State.AWAIT_PROOF;
        return PeerMessages.helloProof(self, hello.getNonce(), claimed);
    }

    /** The peer's signature over our nonce: the key its hello named is its own. */
    void onProof(HelloProof proof) throws PeerFailure {
        expect(State.AWAIT_PROOF, "proof of key");
        if (!HandshakeProof.verify(claimed, ourNonce, self.publicId(), proof.getProof().toByteArray())) {
            throw unproven("did not prove the key of node " + claimed.shortForm() + " its hello named (an impostor?)");
        }
        peerNode = claimed.toByteString();
        state = State.AWAIT_HEADER;
    }

    private boolean proven() {
        return state != State.AWAIT_HELLO && state != State.AWAIT_PROOF;
    }

    private static PeerFailure unproven(String why) {
        return PeerFailure.declined(PeerFailure.Declined.UNPROVEN, why);
    }

    void onHeader(BundleHeader header) throws PeerFailure {
        expect(State.AWAIT_HEADER, "bundle header");
        if (!commit.equals(header.getCommit())) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "offered bundle " + LogSafe.of(header.getCommit()) + " when asked for " + commit);
        }
        if (header.getSize() <= 0) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "announced a bundle of " + Long.toUnsignedString(header.getSize())
                    + " bytes");
        }
        if (header.getSize() > maxBytes) {
            throw new PeerFailure(PeerFailure.Kind.TOO_LARGE, "has a bundle of " + header.getSize()
                    + " bytes, over this node's limit of " + maxBytes);
        }
        if (header.getSha256().size() != 32) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "announced a sha256 of " + header.getSha256().size() + " bytes");
        }
        if (sha256 != null && ((size != 0 && header.getSize() != size) || !MessageDigest.isEqual(sha256, header.getSha256().toByteArray()))) {
            // The bytes on disk belong to the first bundle; splicing another onto them can't verify.
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, ranged
                    ? "offered a different bundle when asked for a range of a known one"
                    : "offered a different bundle when asked to resume at byte " + received);
        }
        if (ranged) {
            checkPieces(header);
        } else if (piecesProblem(header) == null) {
            // A whole transfer needs none, but with them the bytes received can be kept piece by piece if it ends early.
            pieceBytes = header.getPieceBytes();
            pieceSha256 = List.copyOf(header.getPieceSha256List());
        }
        if (kept != null && !kept.agrees(header.getPieceBytes(), header.getPieceSha256List())) {
            throw PeerFailure.declined(PeerFailure.Declined.OTHER_BUNDLE, "names the bundle of the prefix kept, with other "
                    + "piece digests than the holder it came from");
        }
        if (offset > header.getSize()) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "answered a request from byte " + offset + " with a bundle of "
                    + header.getSize() + " bytes");
        }
        size = header.getSize();
        sha256 = header.getSha256().toByteArray();
        end = length == 0 ? size : Math.min(size, offset + length);
        state = State.RECEIVING;
    }

    private void checkPieces(BundleHeader header) throws PeerFailure {
        String problem = piecesProblem(header);
        if (problem != null) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, problem);
        }
        pieceBytes = header.getPieceBytes();
        pieceSha256 = List.copyOf(header.getPieceSha256List());
    }

    /** What is wrong with the header's piece digests, or null when they fit its size. */
    private static String piecesProblem(BundleHeader header) {
        int piece = header.getPieceBytes();
        if (piece <= 0 || piece > MAX_PIECE_BYTES) {
            return "announced pieces of " + Integer.toUnsignedString(piece) + " bytes, limit " + MAX_PIECE_BYTES;
        }
        long count = (header.getSize() + piece - 1) / piece;
        if (header.getPieceSha256Count() != count) {
            return "announced " + header.getPieceSha256Count() + " piece digests for " + count + " pieces";
        }
        for (ByteString digest : header.getPieceSha256List()) {
            if (digest.size() != 32) {
                return "announced a piece sha256 of " + digest.size() + " bytes";
            }
        }
        return null;
    }

    void onChunk(BundleChunk chunk) throws PeerFailure {
        expect(State.RECEIVING, "bundle chunk");
        if (chunk.getOffset() != received) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a chunk at offset " + chunk.getOffset() + ", expected " + received);
        }
        if (chunk.getData().size() > end - received) {
            throw new PeerFailure(PeerFailure.Kind.OVERSIZED, ranged
                    ? "sent more than the " + (end - offset) + " bytes asked for"
                    : "sent more than the " + size + " bytes it announced");
        }
        received += chunk.getData().size();
    }

    /** @param digest SHA-256 of the bytes received (checked against the header's for a whole bundle) */
    void onEnd(BundleEnd end, byte[] digest) throws PeerFailure {
        expect(State.RECEIVING, "bundle end");
        if (!commit.equals(end.getCommit())) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "ended bundle " + LogSafe.of(end.getCommit()) + " while sending " + commit);
        }
        if (received != this.end) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, ranged
                    ? "ended the range after " + (received - offset) + " of " + (this.end - offset) + " bytes"
                    : "ended the bundle after " + received + " of " + size + " bytes");
        }
        if (!ranged && !MessageDigest.isEqual(sha256, digest)) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a bundle whose sha256 differs from its header");
        }
        state = State.DONE;
    }

    /**
     * The holder's own words, as they go into the failure (logged, and reported with the fetch):
     * control characters escaped and cut short, since a rogue's could forge log lines or fill the
     * log with a frame's worth (1 MiB) at each answer.
     */
    private static String said(Error error) {
        return LogSafe.of(error.getMessage());
    }

    void onError(Error error) throws PeerFailure {
        if (!proven()) {
            throw unproven("answered " + error.getCode() + " before proving its key: " + said(error));
        }
        throw switch (error.getCode()) {
            case NOT_FOUND -> new PeerFailure(PeerFailure.Kind.NOT_FOUND, "answered " + error.getCode() + ": " + said(error));
            case UNAVAILABLE -> state == State.RECEIVING && LateDecline.isLate(received - offset, end - offset)
                    ? PeerFailure.declined(PeerFailure.Declined.ENDED_LATE, "busy after " + (received - offset) + " of "
                            + (end - offset) + " bytes: " + said(error))
                    : PeerFailure.busy(PeerFailure.Declined.BUSY, "busy: " + said(error),
                            Integer.toUnsignedLong(error.getRetryAfterMs()));
            case CONFLICT -> PeerFailure.declined(PeerFailure.Declined.OTHER_BUNDLE, "has another bundle: " + said(error));
            case INTERNAL, UNSUPPORTED -> PeerFailure.declined(PeerFailure.Declined.UNABLE,
                    "could not serve (" + error.getCode() + "): " + said(error));
            default -> new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "answered " + error.getCode() + ": " + said(error));
        };
    }

    /** Starts another connection to the same peer, keeping the bytes received so far; {@link #open} says hello on it. */
    void resume() {
        state = State.AWAIT_HELLO;
    }

    /**
     * What is worth keeping of this whole transfer, ended early, to resume from any holder of the
     * same bundle; null when nothing is (no header yet, no piece digests, no whole piece matching).
     *
     * @param received the digests of the whole pieces received (of {@link #pieceBytes()} each, from byte 0)
     */
    KeptPrefix keep(List<byte[]> received, List<String> have) {
        if (ranged || size == 0 || state == State.DONE) {
            return null;
        }
        return KeptPrefix.of(size, sha256, pieceBytes, pieceSha256, received, have);
    }

    /** Why a closed connection is a failure at this point of the transfer. */
    PeerFailure closedEarly() {
        switch (state) {
            case AWAIT_HELLO:
                // It took the connection and said nothing: as good as unreachable (a rest, not three tries a commit).
                return PeerFailure.declined(PeerFailure.Declined.UNREACHABLE, "closed the connection before saying hello");
            case AWAIT_PROOF:
            case AWAIT_HEADER:
                // It said hello, then hung up before a byte of the bundle: nothing was served, so nothing
                // is kept to resume, and a retry proves no more than the first ask did. As a lost
                // connection it was retried three times a commit, so an inventory flood behind such an
                // address held the fetch slots as one behind a closed port did. A decline is free and
                // rests the holder only after STREAK in a row: an honest holder going down mid-handshake
                // (a restart) declines once and is asked again when it is back.
                return PeerFailure.declined(PeerFailure.Declined.UNREACHABLE, state == State.AWAIT_PROOF
                        ? "closed the connection before proving its key" : "closed the connection before sending a bundle header");
            default:
                break;
        }
        return new PeerFailure(PeerFailure.Kind.CONNECTION_LOST, switch (state) {
            case AWAIT_HELLO -> "closed the connection before saying hello";
            case AWAIT_PROOF -> "closed the connection before proving its key";
            case AWAIT_HEADER -> "closed the connection before sending a bundle header";
            case RECEIVING -> "closed the connection after " + (received - offset) + " of " + (end - offset) + " bytes";
            case DONE -> "closed the connection";
        });
    }

    private void expect(State expected, String what) throws PeerFailure {
        if (state != expected) {
            String why = "sent a " + what + " out of turn";
            throw proven() ? new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, why) : unproven(why + ", before proving its key");
        }
    }

    /** The node whose key the peer proved; empty before. */
    ByteString peerNode() {
        return peerNode;
    }

    long received() {
        return received;
    }

    /** Bytes still to come in this transfer or range; 0 before the header. */
    long remaining() {
        return size == 0 ? 0 : end - received;
    }

    long size() {
        return size;
    }

    byte[] sha256() {
        return sha256 == null ? null : sha256.clone();
    }

    int pieceBytes() {
        return pieceBytes;
    }

    List<ByteString> pieceSha256() {
        return pieceSha256;
    }

    long offset() {
        return offset;
    }

    /** The end of the range being received; valid after the header. */
    long end() {
        return end;
    }

    boolean done() {
        return state == State.DONE;
    }
}
