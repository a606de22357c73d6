package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.PeerMessage;
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
