package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import java.util.List;

/**
 * The serving side of one connection, without I/O: a hello first, then bundle requests one at a
 * time, each for the whole bundle or a range of one named by its SHA-256. A request while every
 * upload slot is taken is answered BUSY and the connection stays usable. Anything else is refused,
 * and the adapter closes the connection.
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
     */
    record Serve(String commit, List<String> have, long offset, long length, byte[] sha256) implements Decision {
        Serve(String commit, List<String> have, long offset) {
            this(commit, have, offset, 0, null);
        }
    }

    /** Send an error saying why and close the connection. */
    record Refuse(Error.Code code, String reason) implements Decision {
    }

    private enum State { AWAIT_HELLO, READY, SERVING }

    private final PeerMessage ourHello;
    private final UploadSlots slots;
    private State state = State.AWAIT_HELLO;

    ServeSession(PeerMessage ourHello) {
        this(ourHello, new UploadSlots(Integer.MAX_VALUE));
    }

    ServeSession(PeerMessage ourHello, UploadSlots slots) {
        this.ourHello = ourHello;
        this.slots = slots;
    }

    Decision onMessage(PeerMessage message) {
        return switch (message.getBodyCase()) {
            case HELLO -> onHello(message);
            case BUNDLE_REQUEST -> onRequest(message.getBundleRequest());
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
        return new Reply(ourHello);
    }

    private Decision onRequest(BundleRequest request) {
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
        if (!slots.tryAcquire()) {
            // Answered, not queued: the asker tries another holder instead of waiting on its stall clock.
            return new Reply(PeerMessages.error(Error.Code.UNAVAILABLE, "serving the limit of uploads; ask another holder"));
        }
        state = State.SERVING;
        return new Serve(request.getCommit(), List.copyOf(request.getHaveList()), request.getOffset(), request.getLength(),
                request.getBundleSha256().isEmpty() ? null : request.getBundleSha256().toByteArray());
    }

    /** The current request is answered (bundle sent, not found, or failed); the next may come. */
    void finished() {
        if (state == State.SERVING) {
            slots.release();
        }
        state = State.READY;
    }

    /** The connection is gone: frees the upload slot of a request still being served. */
    void closed() {
        if (state == State.SERVING) {
            slots.release();
        }
        state = State.AWAIT_HELLO;
    }
}
