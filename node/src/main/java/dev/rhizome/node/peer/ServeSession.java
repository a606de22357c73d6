package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.NewerKind;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/**
 * The serving side of one connection, without I/O: a hello first, answered with ours and a nonce
 * made for this connection; then the peer's proof of key (its signature over our nonce, checked
 * before we sign its own: a proof costs us a verification only, and a signature only once the peer
 * has proved its key), answered with ours; then bundle requests one at a time, each for the whole bundle or a range of one named by its SHA-256. A request while every
 * upload slot is taken is answered BUSY, unless {@link UploadSlots} ends another peer's upload early
 * in its favour; either way the connection stays usable. An upload of this connection ended early
 * for another's ({@link #preempted}) is answered BUSY too. Anything else is refused, and the adapter
 * closes the connection.
 */
final class ServeSession {
    /** More than any honest peer sends; the frame limit bounds it too. */
    static final int MAX_HAVE = 10_000;

    sealed interface Decision permits Reply, Serve, Refuse, Ignore {
    }

    /** Send this and carry on. */
    record Reply(PeerMessage message) implements Decision {
    }

    /**
     * Build the bundle (or find the one whose SHA-256 is {@code sha256}, when not null) and stream
     * {@code length} bytes of it from {@code offset} (0: to the end); call {@link #finished()} when done.
     * When {@code preempts} is not null, another connection's upload was ended to make room: tell its holder.
     */
    record Serve(String commit, List<String> have, long offset, long length, byte[] sha256,
                 UploadSlots.Upload preempts) implements Decision {
        Serve(String commit, List<String> have, long offset) {
            this(commit, have, offset, 0, null, null);
        }
    }

    /**
     * Send an error saying why and close the connection; {@code forged}: the peer named a key it did
     * not prove (a forgery, or a request that skipped the proof), an offence of its address.
     */
    record Refuse(Error.Code code, String reason, boolean forged) implements Decision {
        Refuse(Error.Code code, String reason) {
            this(code, reason, false);
        }
    }

    /**
     * The connection is closing after a refusal: what the peer sent behind the refused message (an
     * honest fetcher's request follows its hello and proof at once) is dropped, not refused again.
     */
    record Ignore() implements Decision {
    }

    private enum State { AWAIT_HELLO, AWAIT_PROOF, READY, SERVING, REFUSED }

    /** The peer is on this address (for its share of the upload slots) when none is known: a local channel's. */
    static final String LOCAL = "local";

    private final Identity self;
    private final byte[] ourNonce;
    private final UploadSlots slots;
    private final String address;
    private final UploadSlots.Holder holder;
    private State state = State.AWAIT_HELLO;
    private ByteString peerNode = ByteString.EMPTY;
    private Hello peerHello;
    private UploadSlots.Upload upload;

    ServeSession(Identity self, byte[] nonce) {
        this(self, nonce, new UploadSlots(Integer.MAX_VALUE));
    }

    ServeSession(Identity self, byte[] nonce, UploadSlots slots) {
        this(self, nonce, slots, LOCAL, upload -> { });
    }

    /**
     * @param self    who we are: our hello names it, our proof signs as it
     * @param nonce   made for this connection, for the peer to sign
     * @param address the peer's address as {@link UploadSlots#addressKey} counts it
     * @param holder  told when this connection's upload is ended early for another's
     */
    ServeSession(Identity self, byte[] nonce, UploadSlots slots, String address, UploadSlots.Holder holder) {
        if (nonce.length != HandshakeProof.NONCE_BYTES) {
            throw new IllegalArgumentException("nonce of " + nonce.length + " bytes");
        }
        this.self = self;
        this.ourNonce = nonce.clone();
        this.slots = slots;
        this.address = address;
        this.holder = holder;
    }

    /** {@link #onMessage(PeerMessage, long)} where the time does not matter: every upload starts at 0. */
    Decision onMessage(PeerMessage message) {
        return onMessage(message, 0);
    }

    Decision onMessage(PeerMessage message, long nowMs) {
        if (state == State.REFUSED) {
            return new Ignore();
        }
        Decision decision = switch (message.getBodyCase()) {
            case HELLO -> onHello(message);
            case HELLO_PROOF -> onProof(message.getHelloProof());
            case BUNDLE_REQUEST -> onRequest(message.getBundleRequest(), nowMs);
            // A kind a newer fetcher added (one message field): skipped; the handshake's deadline still runs.
            case BODY_NOT_SET -> NewerKind.is(message.getUnknownFields()) ? new Ignore()
                    : new Refuse(Error.Code.BAD_REQUEST, "a message of no kind from a client");
            default -> new Refuse(Error.Code.BAD_REQUEST, "unexpected " + message.getBodyCase() + " from a client");
        };
        if (decision instanceof Refuse) {
            slots.release(upload);
            upload = null;
            state = State.REFUSED;
        }
        return decision;
    }

    private Decision onHello(PeerMessage message) {
        if (state != State.AWAIT_HELLO) {
            return new Refuse(Error.Code.BAD_REQUEST, "second hello");
        }
        String problem = PeerMessages.helloProblem(message.getHello());
        if (problem != null) {
            return new Refuse(message.getHello().getProtocolVersion() != PeerMessages.PROTOCOL_VERSION
                    ? Error.Code.UNSUPPORTED : Error.Code.BAD_REQUEST, problem);
        }
        if (message.getHello().getNonce().size() != HandshakeProof.NONCE_BYTES) {
            // An older version's hello: refused, not served on an id nothing proves. No offence.
            return new Refuse(Error.Code.UNSUPPORTED, "hello carries no " + HandshakeProof.NONCE_BYTES
                    + "-byte nonce: this node serves only fetchers that prove the key their hello names (upgrade)");
        }
        peerHello = message.getHello();
        state = State.AWAIT_PROOF;
        return new Reply(PeerMessages.hello(self, ourNonce));
    }

    private Decision onProof(HelloProof proof) {
        if (state != State.AWAIT_PROOF) {
            return new Refuse(Error.Code.BAD_REQUEST, "unexpected proof of key");
        }
        PublicId claimed = PublicId.of(peerHello.getNode());
        if (!HandshakeProof.verify(claimed, ourNonce, self.publicId(), proof.getProof().toByteArray())) {
            return new Refuse(Error.Code.BAD_SIGNATURE, "no valid proof of the key of node " + claimed.shortForm()
                    + " its hello names (a copied or forged hello)", true);
        }
        state = State.READY;
        peerNode = claimed.toByteString();
        return new Reply(PeerMessages.helloProof(self, peerHello.getNonce(), claimed));
    }

    private Decision onRequest(BundleRequest request, long nowMs) {
        if (state == State.AWAIT_HELLO) {
            return new Refuse(Error.Code.BAD_REQUEST, "bundle request before hello");
        }
        if (state == State.AWAIT_PROOF) {
            return new Refuse(Error.Code.BAD_REQUEST, "bundle request before proving the key of node "
                    + PublicId.of(peerHello.getNode()).shortForm() + " its hello names", true);
        }
        if (state == State.SERVING) {
            return new Refuse(Error.Code.BAD_REQUEST, "bundle request while a bundle is still being sent");
        }
        if (!CommitId.isValid(request.getCommit())) {
            return new Refuse(Error.Code.BAD_REQUEST, "requested commit is not a commit id: '" + LogSafe.of(request.getCommit()) + "'");
        }
        if (request.getHaveCount() > MAX_HAVE) {
            return new Refuse(Error.Code.TOO_LARGE, "request lists " + request.getHaveCount() + " commits held, limit " + MAX_HAVE);
        }
        for (String have : request.getHaveList()) {
            if (!CommitId.isValid(have)) {
                return new Refuse(Error.Code.BAD_REQUEST, "request lists a malformed commit id held: '" + LogSafe.of(have) + "'");
            }
        }
        if (request.getOffset() < 0) {
            return new Refuse(Error.Code.BAD_REQUEST, "offset " + Long.toUnsignedString(request.getOffset()) + " is absurd");
        }
        if (request.getLength() < 0) {
            return new Refuse(Error.Code.BAD_REQUEST, "length " + Long.toUnsignedString(request.getLength()) + " is absurd");
        }
        if (!request.getBundleSha256().isEmpty() && request.getBundleSha256().size() != 32) {
            return new Refuse(Error.Code.BAD_REQUEST, "bundle sha256 of " + request.getBundleSha256().size() + " bytes");
        }
        UploadSlots.Grant grant = slots.acquire(new UploadSlots.Asker(peerNode, address), holder, nowMs);
        if (grant.busy()) {
            // Answered, not queued: the asker tries another holder instead of waiting on its stall clock.
            // Its hint, from the slots' state, is when this asker might find one (UploadSlots#retryAfterMs).
            return new Reply(busy("serving the limit of uploads", grant.retryAfterMs()));
        }
        upload = grant.upload();
        state = State.SERVING;
        return new Serve(request.getCommit(), List.copyOf(request.getHaveList()), request.getOffset(), request.getLength(),
                request.getBundleSha256().isEmpty() ? null : request.getBundleSha256().toByteArray(), grant.preempted());
    }

    /**
     * Where a range of {@code length} bytes (0: to the end) from {@code offset} of a {@code size}-byte
     * bundle ends. Saturating: an asker's {@code offset + length} past {@code Long.MAX_VALUE} used to
     * wrap to a negative end, and the server answered a header and an empty range as if served.
     */
    static long rangeEnd(long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size) {
            throw new IllegalArgumentException("range of " + length + " bytes from " + offset + " in " + size);
        }
        return length == 0 || length >= size - offset ? size : offset + length;
    }

    static PeerMessage busy(String why) {
        return PeerMessages.error(Error.Code.UNAVAILABLE, why + "; ask another holder");
    }

    /** BUSY with a hint of when this holder expects room again ({@code Error.retry_after_ms}; older askers ignore it). */
    static PeerMessage busy(String why, long retryAfterMs) {
        PeerMessage busy = busy(why);
        return busy.toBuilder().setError(busy.getError().toBuilder()
                .setRetryAfterMs((int) Math.max(0, Math.min(Integer.MAX_VALUE, retryAfterMs)))).build();
    }

    /** The node whose key the peer proved (empty before it did). */
    ByteString peerNode() {
        return peerNode;
    }

    /** The upload being served, or null; the adapter checks a bundle it built is still for this one. */
    /** The peer proved the key its hello names: from here on only the idle rule bounds the connection. */
    boolean proven() {
        return state == State.READY || state == State.SERVING;
    }

    UploadSlots.Upload upload() {
        return upload;
    }

    /**
     * {@code ended} was ended early for another peer's request (its slot is already theirs): true,
     * and the adapter stops sending and answers {@link #busy}, when it is this connection's current
     * upload; false when that upload is over already.
     */
    boolean preempted(UploadSlots.Upload ended) {
        if (state != State.SERVING || upload != ended) {
            return false;
        }
        upload = null;
        state = State.READY;
        return true;
    }

    /** {@code bytes} of {@code of}, an upload of this connection, were taken by the reader. */
    void sent(UploadSlots.Upload of, long bytes) {
        if (of != null) {
            slots.sent(of, bytes);
        }
    }

    /** The current request's bundle was sent whole at {@code nowMs}: as {@link #finished()}, and its time feeds the slots' BUSY hint. */
    void finished(long nowMs) {
        slots.completed(upload, nowMs);
        upload = null;
        state = State.READY;
    }

    /** The current request is answered (bundle sent, not found, or failed); the next may come. */
    void finished() {
        slots.release(upload);
        upload = null;
        state = State.READY;
    }

    /** The connection is gone: frees the upload slot of a request still being served. */
    void closed() {
        slots.release(upload);
        upload = null;
        state = State.AWAIT_HELLO;
    }
}
