package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;

/** Where the bytes of one transfer go as they arrive, hashed on the way. */
interface TransferSink {
    void write(ByteString data) throws IOException;

    /** Ends the transfer; the SHA-256 of everything written. */
    byte[] finish() throws IOException;
}
