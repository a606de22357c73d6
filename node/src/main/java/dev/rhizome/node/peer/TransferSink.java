package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;

/** Where the bytes of one transfer go as they arrive, hashed on the way. */
interface TransferSink {
    /** @throws PeerFailure when the bytes so far already show the transfer is not worth finishing */
    void write(ByteString data) throws IOException, PeerFailure;

    /** Ends the transfer; the SHA-256 of everything written. */
    byte[] finish() throws IOException;
}
