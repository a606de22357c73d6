package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.protocol.identity.PublicId;
import java.security.MessageDigest;

/**
 * The receiving side of one bundle transfer, without I/O: the peer's hello, a header within our
 * limit for the commit we asked for, chunks in order that never pass the announced size, and an
 * end with every byte received and the announced digest. Every departure is a {@link PeerFailure}.
 * After a dropped connection the session can {@link #resume()}: the peer must then announce the
 * same size and digest again and carry on from the bytes already received.
 */
final class FetchSession {
    private enum State { AWAIT_HELLO, AWAIT_HEADER, RECEIVING, DONE }

    private final String commit;
    private final long maxBytes;
    private final ByteString expectedNode;
    private State state = State.AWAIT_HELLO;
    private ByteString peerNode = ByteString.EMPTY;
    private long size;
    private byte[] sha256;
    private long received;

    /** @param expectedNode the node id we were told the peer has; empty to accept any */
    FetchSession(String commit, long maxBytes, ByteString expectedNode) {
        this.commit = commit;
        this.maxBytes = maxBytes;
        this.expectedNode = expectedNode;
    }

    void onHello(Hello hello) throws PeerFailure {
        expect(State.AWAIT_HELLO, "hello");
        String problem = PeerMessages.helloProblem(hello);
        if (problem != null) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, problem);
        }
        if (!expectedNode.isEmpty() && !expectedNode.equals(hello.getNode())) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "claims to be node " + PublicId.hex(hello.getNode()) + ", expected " + PublicId.hex(expectedNode));
        }
        peerNode = hello.getNode();
        state = State.AWAIT_HEADER;
    }

    void onHeader(BundleHeader header) throws PeerFailure {
        expect(State.AWAIT_HEADER, "bundle header");
        if (!commit.equals(header.getCommit())) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "offered bundle " + header.getCommit() + " when asked for " + commit);
        }
        if (header.getSize() <= 0 || header.getSize() > maxBytes) {
            throw new PeerFailure(PeerFailure.Kind.OVERSIZED, "announced a bundle of " + Long.toUnsignedString(header.getSize())
                    + " bytes, limit " + maxBytes);
        }
        if (header.getSha256().size() != 32) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "announced a sha256 of " + header.getSha256().size() + " bytes");
        }
        if (sha256 != null && (header.getSize() != size || !MessageDigest.isEqual(sha256, header.getSha256().toByteArray()))) {
            // The bytes on disk belong to the first bundle; splicing another onto them can't verify.
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "offered a different bundle when asked to resume at byte " + received);
        }
        size = header.getSize();
        sha256 = header.getSha256().toByteArray();
        state = State.RECEIVING;
    }

    void onChunk(BundleChunk chunk) throws PeerFailure {
        expect(State.RECEIVING, "bundle chunk");
        if (chunk.getOffset() != received) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a chunk at offset " + chunk.getOffset() + ", expected " + received);
        }
        if (chunk.getData().size() > size - received) {
            throw new PeerFailure(PeerFailure.Kind.OVERSIZED, "sent more than the " + size + " bytes it announced");
        }
        received += chunk.getData().size();
    }

    /** @param digest SHA-256 of the bytes received */
    void onEnd(BundleEnd end, byte[] digest) throws PeerFailure {
        expect(State.RECEIVING, "bundle end");
        if (!commit.equals(end.getCommit())) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "ended bundle " + end.getCommit() + " while sending " + commit);
        }
        if (received != size) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "ended the bundle after " + received + " of " + size + " bytes");
        }
        if (!MessageDigest.isEqual(sha256, digest)) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a bundle whose sha256 differs from its header");
        }
        state = State.DONE;
    }

    void onError(Error error) throws PeerFailure {
        throw new PeerFailure(error.getCode() == Error.Code.NOT_FOUND ? PeerFailure.Kind.NOT_FOUND : PeerFailure.Kind.BAD_BUNDLE,
                "answered " + error.getCode() + ": " + error.getMessage());
    }

    /** Starts another connection to the same peer, keeping the bytes received so far. */
    void resume() {
        state = State.AWAIT_HELLO;
    }

    /** Why a closed connection is a failure at this point of the transfer. */
    String closedEarly() {
        return switch (state) {
            case AWAIT_HELLO -> "closed the connection before saying hello";
            case AWAIT_HEADER -> "closed the connection before sending a bundle header";
            case RECEIVING -> "closed the connection after " + received + " of " + size + " bytes";
            case DONE -> "closed the connection";
        };
    }

    private void expect(State expected, String what) throws PeerFailure {
        if (state != expected) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a " + what + " out of turn");
        }
    }

    ByteString peerNode() {
        return peerNode;
    }

    long received() {
        return received;
    }

    long size() {
        return size;
    }

    boolean done() {
        return state == State.DONE;
    }
}
