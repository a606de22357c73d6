package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import java.util.List;

/**
 * The serving side of one connection, without I/O: a hello first, then bundle requests one at a
 * time, each for the whole bundle or a range of one named by its SHA-256. A request while every
 * upload slot is taken is answered BUSY, unless {@link UploadSlots} ends another peer's upload early
 * in its favour; either way the connection stays usable. An upload of this connection ended early
 * for another's ({@link #preempted}) is answered BUSY too. Anything else is refused, and the adapter
 * closes the connection.
 */
final class ServeSession {
    /** More than any honest peer sends; the frame limit bounds it too. */
    static final int MAX_HAVE = 10_000;

    sealed interface Decision permits Reply, Serve, Refuse {
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

    /** Send an error saying why and close the connection. */
    record Refuse(Error.Code code, String reason) implements Decision {
    }

    private enum State { AWAIT_HELLO, READY, SERVING }

    /** The peer is on this address (for its share of the upload slots) when none is known: a local channel's. */
    static final String LOCAL = "local";

    private final PeerMessage ourHello;
    private final UploadSlots slots;
    private final String address;
    private final UploadSlots.Holder holder;
    private State state = State.AWAIT_HELLO;
    private ByteString peerNode = ByteString.EMPTY;
    private UploadSlots.Upload upload;

    ServeSession(PeerMessage ourHello) {
        this(ourHello, new UploadSlots(Integer.MAX_VALUE));
    }

    ServeSession(PeerMessage ourHello, UploadSlots slots) {
        this(ourHello, slots, LOCAL, upload -> { });
    }

    /**
     * @param address the peer's address as {@link UploadSlots#addressKey} counts it
     * @param holder  told when this connection's upload is ended early for another's
     */
    ServeSession(PeerMessage ourHello, UploadSlots slots, String address, UploadSlots.Holder holder) {
        this.ourHello = ourHello;
        this.slots = slots;
        this.address = address;
        this.holder = holder;
    }

    /** {@link #onMessage(PeerMessage, long)} where the time does not matter: every upload starts at 0. */
    Decision onMessage(PeerMessage message) {
        return onMessage(message, 0);
    }

    Decision onMessage(PeerMessage message, long nowMs) {
        return switch (message.getBodyCase()) {
            case HELLO -> onHello(message);
            case BUNDLE_REQUEST -> onRequest(message.getBundleRequest(), nowMs);
            default -> new Refuse(Error.Code.BAD_REQUEST, "unexpected " + message.getBodyCase() + " from a client");
        };
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
        state = State.READY;
        peerNode = message.getHello().getNode();
        return new Reply(ourHello);
    }

    private Decision onRequest(BundleRequest request, long nowMs) {
        if (state == State.AWAIT_HELLO) {
            return new Refuse(Error.Code.BAD_REQUEST, "bundle request before hello");
        }
        if (state == State.SERVING) {
            return new Refuse(Error.Code.BAD_REQUEST, "bundle request while a bundle is still being sent");
        }
        if (!CommitId.isValid(request.getCommit())) {
            return new Refuse(Error.Code.BAD_REQUEST, "requested commit is not a commit id: '" + request.getCommit() + "'");
        }
        if (request.getHaveCount() > MAX_HAVE) {
            return new Refuse(Error.Code.TOO_LARGE, "request lists " + request.getHaveCount() + " commits held, limit " + MAX_HAVE);
        }
        for (String have : request.getHaveList()) {
            if (!CommitId.isValid(have)) {
                return new Refuse(Error.Code.BAD_REQUEST, "request lists a malformed commit id held: '" + have + "'");
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
            return new Reply(busy("serving the limit of uploads"));
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

    /** The node id the peer's hello carried (empty before it). */
    ByteString peerNode() {
        return peerNode;
    }

    /** The upload being served, or null; the adapter checks a bundle it built is still for this one. */
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
