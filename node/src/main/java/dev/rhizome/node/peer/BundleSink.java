package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.security.MessageDigest;

/** Bundle bytes arriving from a peer in order, hashed on the way into {@link ReceivedBytes} (memory or a file). */
final class BundleSink implements TransferSink {
    private final ReceivedBytes into;
    private final MessageDigest digest = ReceivedBytes.sha256Digest();

    BundleSink(ReceivedBytes into) {
        this.into = into;
    }

    @Override
    public synchronized void write(ByteString data) throws IOException {
        digest.update(data.asReadOnlyByteBuffer());
        for (var buffer : data.asReadOnlyByteBufferList()) {
            into.append(buffer);
        }
    }

    /** The SHA-256 of everything written. */
    @Override
    public synchronized byte[] finish() {
        return digest.digest();
    }
}
