package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import java.util.List;

/**
 * The serving side of one connection, without I/O: a hello first, then bundle requests one at a
 * time. Anything else is refused, and the adapter closes the connection.
 */
final class ServeSession {
    /** More than any honest peer sends; the frame limit bounds it too. */
    static final int MAX_HAVE = 10_000;

    sealed interface Decision permits Reply, Serve, Refuse {
    }

    /** Send this and carry on. */
    record Reply(PeerMessage message) implements Decision {
    }

    /** Build the bundle and stream it from {@code offset}; call {@link #finished()} when done. */
    record Serve(String commit, List<String> have, long offset) implements Decision {
    }

    /** Send an error saying why and close the connection. */
    record Refuse(Error.Code code, String reason) implements Decision {
    }

    private enum State { AWAIT_HELLO, READY, SERVING }

    private final PeerMessage ourHello;
    private State state = State.AWAIT_HELLO;

    ServeSession(PeerMessage ourHello) {
        this.ourHello = ourHello;
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
        state = State.SERVING;
        return new Serve(request.getCommit(), List.copyOf(request.getHaveList()), request.getOffset());
    }

    /** The current request is answered (bundle sent or not found); the next may come. */
    void finished() {
        state = State.READY;
    }
}
