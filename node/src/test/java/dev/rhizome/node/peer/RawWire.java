package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The peer framing done by hand over plain sockets, to play a misbehaving peer. */
public final class RawWire {
    private RawWire() {
    }

    public static void write(OutputStream out, PeerMessage message) throws IOException {
        writeFrame(out, message.toByteArray());
    }

    public static void writeFrame(OutputStream out, byte[] frame) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(frame.length);
        data.write(frame);
        data.flush();
    }

    /**
     * A fetcher's handshake, done right: hello as {@code self}, then its proof over the server's
     * nonce. Returns the server's answer to the proof: its own proof, or an error saying why not.
     */
    public static PeerMessage openFetch(InputStream in, OutputStream out, Identity self) throws IOException {
        write(out, PeerMessages.hello(self, HandshakeProof.newNonce()));
        PeerMessage hello = read(in);
        if (hello == null || !hello.hasHello()) {
            throw new IOException("the server answered the hello with " + hello);
        }
        write(out, PeerMessages.helloProof(self, hello.getHello().getNonce(), PublicId.of(hello.getHello().getNode())));
        return read(in);
    }

    /**
     * A server's side of the handshake, once the fetcher's {@code hello} was read: our hello as
     * {@code self}, the fetcher's proof read (and not checked: a rogue needn't), our proof.
     */
    public static void answerFetch(PeerMessage hello, InputStream in, OutputStream out, Identity self) throws IOException {
        write(out, PeerMessages.hello(self, HandshakeProof.newNonce()));
        read(in);
        write(out, PeerMessages.helloProof(self, hello.getHello().getNonce(), PublicId.of(hello.getHello().getNode())));
    }

    /** The next message, or null once the other side has closed. */
    public static PeerMessage read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int length;
        try {
            length = data.readInt();
        } catch (EOFException e) {
            return null;
        }
        byte[] frame = new byte[length];
        data.readFully(frame);
        return PeerMessage.parseFrom(frame);
    }
}
