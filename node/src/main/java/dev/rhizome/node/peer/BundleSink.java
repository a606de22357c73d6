package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Bundle bytes arriving from a peer: straight to a file, hashed on the way, never held in memory. */
final class BundleSink implements TransferSink, AutoCloseable {
    private final FileChannel file;
    private final MessageDigest digest;

    private BundleSink(FileChannel file) {
        this.file = file;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static BundleSink create(Path path) throws IOException {
        return new BundleSink(FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING));
    }

    @Override
    public synchronized void write(ByteString data) throws IOException {
        digest.update(data.asReadOnlyByteBuffer());
        for (var buffer : data.asReadOnlyByteBufferList()) {
            while (buffer.hasRemaining()) {
                file.write(buffer);
            }
        }
    }

    /** Closes the file and returns the SHA-256 of everything written. */
    @Override
    public synchronized byte[] finish() throws IOException {
        file.close();
        return digest.digest();
    }

    @Override
    public synchronized void close() throws IOException {
        file.close();
    }
}
