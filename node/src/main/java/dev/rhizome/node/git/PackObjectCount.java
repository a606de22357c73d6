package dev.rhizome.node.git;

import java.nio.ByteBuffer;

/**
 * The object count a bundle's pack declares, read from the bundle's first bytes as they arrive:
 * past the text header's blank line come {@code PACK}, the version and the count (12 bytes). A
 * bundle's byte limit is checked on its holder's header, before any byte travels, but the object
 * bound ({@link PackLimits#maxObjects}: JGit keeps a record per object, so a long chain of tiny
 * commits runs a small heap out in a few MB) was judged only once the whole bundle had arrived: a
 * peer announcing such chains, valid but past this node's bound, had it download each one whole
 * before its refusal. With the count known a few hundred bytes in, the transfer stops there.
 * Pure and incremental: a few bytes of state, nothing buffered.
 */
public final class PackObjectCount {
    /** Unknown so far (or never: no pack header where one was expected, left to the import's checks). */
    public static final long UNKNOWN = -1;

    private long seen;
    private boolean lineStart = true;
    private boolean inPack;
    private final byte[] pack = new byte[12];
    private int packBytes;
    private boolean gaveUp;
    private long count = UNKNOWN;

    /** Reads {@code data} (the next bytes of the bundle, from its first); returns the count once known. */
    public long update(ByteBuffer data) {
        ByteBuffer in = data.duplicate();
        while (count == UNKNOWN && !gaveUp && in.hasRemaining()) {
            byte b = in.get();
            seen++;
            if (inPack) {
                pack[packBytes++] = b;
                if (packBytes == pack.length) {
                    finishPack();
                }
            } else if (seen > GitBundleHeader.MAX_HEADER_BYTES) {
                gaveUp = true;  // the import refuses a header this long anyway
            } else if (b == '\n' && lineStart && seen > 1) {
                inPack = true;  // the blank line: the pack starts at the next byte
            } else {
                lineStart = b == '\n';
            }
        }
        return count;
    }

    /** The count, once known; {@link #UNKNOWN} before (or for bytes with no pack header where it belongs). */
    public long count() {
        return count;
    }

    private void finishPack() {
        ByteBuffer header = ByteBuffer.wrap(pack);
        if (header.getInt() != 0x5041434b) {
            gaveUp = true;  // no PACK: not a bundle, which the import says (and scores); no guess here
            return;
        }
        header.getInt();  // the version, checked by the import
        count = header.getInt() & 0xffffffffL;
    }
}
