package dev.rhizome.node.git;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Whether a bundle file is whole: its header parses and its pack ends in the SHA-1 of the pack's
 * bytes, as every pack does. A bundle renamed into the cache unforced may be torn by a power loss
 * (its tail zeros or cut), and one served so is refused by every fetcher and scored a wrong bundle:
 * the honest node was banned at the second. Checked for a file an earlier run left, before it is
 * served; a check is one read of the file.
 */
final class WholeBundle {
    private static final int TRAILER_BYTES = 20;
    /** "PACK", version, object count. */
    private static final int PACK_HEADER_BYTES = 12;

    private WholeBundle() {
    }

    /** Null when {@code file} is whole; otherwise what is wrong with it. */
    static String problem(Path file) throws IOException {
        long size = Files.size(file);
        try (Counting counted = new Counting(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            try {
                GitBundleHeader.read(counted);
            } catch (BundleException e) {
                return "its header: " + e.getMessage();
            }
            long packBytes = size - counted.count - TRAILER_BYTES;
            if (packBytes < PACK_HEADER_BYTES) {
                return "its pack is " + Math.max(0, packBytes) + " bytes";
            }
            MessageDigest sha1 = sha1();
            byte[] buffer = new byte[1 << 16];
            long left = packBytes;
            while (left > 0) {
                int n = counted.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    return "it ended early";
                }
                sha1.update(buffer, 0, n);
                left -= n;
            }
            byte[] trailer = counted.readNBytes(TRAILER_BYTES);
            if (!MessageDigest.isEqual(trailer, sha1.digest())) {
                return "its pack's checksum does not match its bytes";
            }
            return null;
        }
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }

    /** Counts the bytes read through it: the header's length, which the header reader does not say. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
