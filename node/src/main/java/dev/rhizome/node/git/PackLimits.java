package dev.rhizome.node.git;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What a received pack may make this node inflate, judged before JGit parses it. A bundle's byte
 * limit bounds what travels, not what it unpacks to: zlib turns a few MiB of zeros into gigabytes,
 * a delta of a few bytes copies its base up to 16 MiB per instruction, a tree or commit object is
 * inflated into one array of the size its header declares (JGit allocates it before reading a
 * byte, so one header saying 2 GB was an {@code OutOfMemoryError} in the fetch worker), and JGit
 * keeps a record per object (a 64 MiB pack of empty objects is millions of them). So the pack is
 * read once first: its object count, each object's declared size and each delta's result size
 * (the first bytes of the delta) are summed and compared with the bounds before anything larger
 * is inflated. The scan inflates at most what the bounds allow, and each object only to its
 * declared size.
 *
 * <p>JGit streams a whole blob, but holds a tree, commit or tag whole in memory, and resolves a
 * delta with the delta, its base and its result all in memory at once: with a node's heap of 64
 * MiB (ops/systemd/rhizome-node.service), one edit of a 20 MiB file, a bundle of 15 MiB within
 * every other bound, was an {@code OutOfMemoryError} ({@code DeltaMemoryTest}). So what one such
 * object holds (a delta: its own bytes, its base's and its result's, as its first bytes declare
 * them) is bounded by a share of the heap, and so is what JGit holds at once along a chain of
 * deltas ({@link DeltaTrees}: a base is kept until its last delta is made).
 *
 * @param maxObjects       objects in the pack
 * @param maxObjectBytes   one object, inflated (a delta and the object it makes, each)
 * @param maxInflatedBytes everything inflated: whole objects, deltas and what the deltas make
 * @param maxHeldBytes     what one object JGit holds whole in memory holds: a tree, commit or tag;
 *                         a delta with its base and result
 */
public record PackLimits(long maxObjects, long maxObjectBytes, long maxInflatedBytes, long maxHeldBytes) {
    /** The most objects a peer's pack may hold, whatever the heap. */
    static final long MAX_OBJECTS = 500_000;
    /**
     * Heap an imported object costs until the import ends, with room: JGit's record of it while it
     * parses (id, offset, checksum), the new ids it hands back, the set of them the checks after it
     * keep, and each object the reach walk parses. Half a million empty-ish blobs, a pack of a
     * few MB, ran the node's 64 MiB heap out ({@code ManyObjectsMemoryTest}); so the object bound
     * is the heap's, as the per-object one is.
     */
    static final long HEAP_BYTES_PER_OBJECT = 512;

    /**
     * For bundles from peers: a research history of small files is far under these (an
     * experiment adds a few objects of a few KiB), and a node's heap is not; what one object
     * holds in memory gets a quarter of this process's heap, and the objects of one pack the
     * heap's share of {@link #HEAP_BYTES_PER_OBJECT} (about 120,000 on the node's 64 MiB).
     */
    public static final PackLimits PEERS = new PackLimits(objectsFor(Runtime.getRuntime().maxMemory()), 64L << 20,
            512L << 20, Runtime.getRuntime().maxMemory() / 4);

    /** The objects a pack may hold on a heap of {@code heapBytes}. */
    static long objectsFor(long heapBytes) {
        return Math.max(1, Math.min(MAX_OBJECTS, heapBytes / HEAP_BYTES_PER_OBJECT));
    }

    /** For this node's own commits (an agent's workspace): what the volunteer made is taken whole. */
    public static final PackLimits NONE = new PackLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    private static final int BLOB = 3;
    private static final int OBJ_OFS_DELTA = 6;
    private static final int OBJ_REF_DELTA = 7;
    /** A delta starts with two varints (base size, result size), at most 10 bytes each. */
    private static final int DELTA_HEAD = 20;

    public PackLimits {
        if (maxObjects <= 0 || maxObjectBytes <= 0 || maxInflatedBytes <= 0 || maxHeldBytes <= 0) {
            throw new IllegalArgumentException("pack limits must be positive: " + maxObjects + ", "
                    + maxObjectBytes + ", " + maxInflatedBytes + ", " + maxHeldBytes);
        }
    }

    /** No bound on what one object holds beyond the per-object one (a delta, its base and its result at most). */
    public PackLimits(long maxObjects, long maxObjectBytes, long maxInflatedBytes) {
        this(maxObjects, maxObjectBytes, maxInflatedBytes, 3 * maxObjectBytes);
    }

    /**
     * Reads {@code pack} (a pack stream: "PACK", version, count, objects) and refuses it if it
     * breaks a bound ({@link BundleTooLargeException}) or is malformed where the scan reads it
     * ({@link BundleException}); the trailer and every object's content are left to JGit.
     *
     * @throws IOException reading the stream failed (our own copy)
     */
    public void check(InputStream pack) throws BundleException, IOException {
        check(pack, DeltaTrees.HeldSizes.NONE);
    }

    /**
     * As {@link #check(InputStream)}, for a thin pack whose ref deltas rest on objects this node
     * holds: {@code held} says their sizes, read before JGit reads them whole.
     */
    void check(InputStream pack, DeltaTrees.HeldSizes held) throws BundleException, IOException {
        if (this.equals(NONE)) {
            return;
        }
        new Scan(pack).run(held);
    }

    private final class Scan {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private final byte[] scratch = new byte[64 * 1024];
        private final Inflater inflater = new Inflater();
        private final DeltaTrees trees = new DeltaTrees();
        private final byte[] baseId = new byte[20];
        private int pos;
        private int limit;
        /** Bytes of the pack before the buffer's start. */
        private long passed;
        private long inflated;

        Scan(InputStream in) {
            this.in = in;
        }

        void run(DeltaTrees.HeldSizes held) throws BundleException, IOException {
            try {
                if (readInt() != 0x5041434b) {
                    throw new BundleException("bundle's pack does not start with PACK");
                }
                long version = readInt() & 0xffffffffL;
                if (version != 2 && version != 3) {
                    throw new BundleException("bundle's pack is of version " + version + ", not 2 or 3");
                }
                long count = readInt() & 0xffffffffL;
                if (count > maxObjects) {
                    throw new BundleTooLargeException("bundle's pack holds " + count + " objects, over this node's limit of "
                            + maxObjects);
                }
                for (long i = 0; i < count; i++) {
                    object(i);
                }
                long peak = trees.peak(held);
                if (peak > maxHeldBytes) {
                    throw new BundleTooLargeException("the bundle's pack has " + peak + " bytes held in memory at once"
                            + " to unpack its deltas (a base is kept until its last delta is made, so a chain of bases"
                            + " with deltas still to make is held together): over this node's limit of " + maxHeldBytes
                            + " bytes (a quarter of its heap)");
                }
            } catch (EOFException e) {
                throw new BundleException("bundle refused while unpacking: its pack ends in the middle of an object", e);
            } finally {
                inflater.end();
            }
        }

        private void object(long index) throws BundleException, IOException {
            long offset = passed + pos;
            int c = readByte();
            int type = (c >> 4) & 7;
            long size = c & 15;
            int shift = 4;
            while ((c & 0x80) != 0) {
                c = readByte();
                if (shift > 56) {
                    throw new BundleException("object " + index + " of the bundle's pack has a size header too long");
                }
                size |= (long) (c & 0x7f) << shift;
                shift += 7;
            }
            switch (type) {
                case 1, 2, 3, 4 -> {
                    count(index, "an object of " + size + " bytes", size);
                    if (type != BLOB) {
                        held(index, "a " + (type == 1 ? "commit" : type == 2 ? "tree" : "tag") + " of " + size + " bytes", size);
                    }
                    inflate(index, size, 0);
                    trees.whole(offset, size);
                }
                case OBJ_OFS_DELTA, OBJ_REF_DELTA -> {
                    long baseOffset = -1;
                    if (type == OBJ_OFS_DELTA) {
                        baseOffset = offset - backwards(index);
                    } else {
                        for (int i = 0; i < baseId.length; i++) {
                            baseId[i] = (byte) readByte();
                        }
                    }
                    count(index, "a delta of " + size + " bytes", size);
                    int head = inflate(index, size, DELTA_HEAD);
                    int[] at = {0};
                    long base = varint(head, at, index);
                    long result = varint(head, at, index);
                    count(index, "a delta making an object of " + result + " bytes", result);
                    held(index, "a delta of " + size + " bytes from a base of " + base + " bytes to an object of " + result
                            + " bytes", size + base + result);
                    if (type == OBJ_OFS_DELTA) {
                        trees.offsetDelta(offset, baseOffset, base, size, result);
                    } else {
                        trees.refDelta(offset, ObjectId.fromRaw(baseId), base, size, result);
                    }
                }
                default -> throw new BundleException("object " + index + " of the bundle's pack has unknown type " + type);
            }
        }

        private void count(long index, String what, long bytes) throws BundleTooLargeException {
            if (bytes > maxObjectBytes) {
                throw new BundleTooLargeException("object " + index + " of the bundle's pack is " + what
                        + ", over this node's limit of " + maxObjectBytes + " per object");
            }
            inflated += bytes;
            if (inflated > maxInflatedBytes) {
                throw new BundleTooLargeException("the bundle's pack inflates to more than this node's limit of "
                        + maxInflatedBytes + " bytes (at object " + index + ", " + what + ")");
            }
        }

        private void held(long index, String what, long bytes) throws BundleTooLargeException {
            if (bytes > maxHeldBytes) {
                throw new BundleTooLargeException("object " + index + " of the bundle's pack is " + what
                        + ", held whole in memory to unpack: over this node's limit of " + maxHeldBytes
                        + " bytes (a quarter of its heap)");
            }
        }

        /** Inflates one object's data to its end, checking it makes exactly {@code size} bytes; keeps its first {@code keep} in the scratch. */
        private int inflate(long index, long size, int keep) throws BundleException, IOException {
            inflater.reset();
            long made = 0;
            try {
                while (!inflater.finished()) {
                    if (inflater.needsInput()) {
                        if (pos == limit) {
                            fill();
                        }
                        inflater.setInput(buffer, pos, limit - pos);
                        pos = limit;
                    }
                    if (inflater.needsDictionary()) {
                        throw new BundleException("object " + index + " of the bundle's pack asks for a zlib dictionary");
                    }
                    // Past the header's size is a lie: one byte more is enough to tell.
                    int room = (int) Math.min(scratch.length, Math.max(1, size - made + 1));
                    int offset = (int) Math.min(made, keep);
                    int n = inflater.inflate(scratch, offset, Math.min(room, scratch.length - offset));
                    made += n;
                    if (made > size) {
                        throw new BundleException("object " + index + " of the bundle's pack inflates past the "
                                + size + " bytes its header declares");
                    }
                }
            } catch (DataFormatException e) {
                throw new BundleException("object " + index + " of the bundle's pack is not valid zlib: " + e.getMessage(), e);
            }
            if (made != size) {
                throw new BundleException("object " + index + " of the bundle's pack inflates to " + made
                        + " bytes, its header declares " + size);
            }
            long compressed = inflater.getBytesRead();
            if (compressed > zlibBound(size)) {
                throw new BundleException("object " + index + " of the bundle's pack takes " + compressed
                        + " bytes of zlib for " + size + " bytes, more than any compressor writes: padding");
            }
            pos = limit - inflater.getRemaining();
            return (int) Math.min(made, keep);
        }

        /**
         * The most zlib bytes an honest writer spends on {@code size} bytes, generously: zlib's own
         * bound is the size plus about 1/4,000 and a few bytes (stored blocks, for data that does not
         * compress, cost 5 bytes per 64 KiB). A stream may hold any number of empty blocks, so past
         * this a pack of a few objects could fill a bundle's whole size limit, which the node would
         * store and relay as received.
         */
        private static long zlibBound(long size) {
            return size + (size >> 3) + 64;
        }

        private long varint(int length, int[] at, long index) throws BundleException {
            long value = 0;
            int shift = 0;
            while (true) {
                if (at[0] >= length || shift > 56) {
                    throw new BundleException("object " + index + " of the bundle's pack is a delta without its sizes");
                }
                int c = scratch[at[0]++] & 0xff;
                value |= (long) (c & 0x7f) << shift;
                shift += 7;
                if ((c & 0x80) == 0) {
                    return value;
                }
            }
        }

        /** An offset delta's distance back to its base (git's encoding: each further byte adds one first). */
        private long backwards(long index) throws BundleException, IOException {
            int c = readByte();
            long distance = c & 0x7f;
            for (int bytes = 1; (c & 0x80) != 0; bytes++) {
                if (bytes > 8) {
                    throw new BundleException("object " + index + " of the bundle's pack has a delta offset too long");
                }
                c = readByte();
                distance = ((distance + 1) << 7) | (c & 0x7f);
            }
            return distance;
        }

        private int readInt() throws IOException {
            return readByte() << 24 | readByte() << 16 | readByte() << 8 | readByte();
        }

        private int readByte() throws IOException {
            if (pos == limit) {
                fill();
            }
            return buffer[pos++] & 0xff;
        }

        private void fill() throws IOException {
            int n = in.read(buffer);
            if (n <= 0) {
                throw new EOFException();
            }
            passed += limit;
            pos = 0;
            limit = n;
        }
    }
}
