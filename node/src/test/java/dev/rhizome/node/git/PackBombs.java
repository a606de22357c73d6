package dev.rhizome.node.git;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.zip.Deflater;

/** Packs and bundles written by hand from the pack format, as a rogue writes them: small, declaring much. */
public final class PackBombs {
    private PackBombs() {
    }

    /** A bundle of {@code tip} whose only object is a commit declaring {@code declared} bytes, with 16 of them. */
    public static byte[] bundleDeclaring(String tip, long declared) {
        return bundle(tip, pack(List.of(whole(1, declared, new byte[16])), 1));
    }

    /**
     * A bundle of {@code tip} whose only object is a small delta on an object named by id that no
     * node holds: no node's bundle writer makes one (a base in the pack is named by offset).
     */
    public static byte[] bundleOfADeltaOnNothingHeld(String tip) {
        return bundle(tip, pack(List.of(refDelta("c".repeat(40), copyThenInsert(10, 10,
                "!".getBytes(StandardCharsets.US_ASCII)))), 1));
    }

    static byte[] bundle(String tip, byte[] pack) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("# v2 git bundle\n" + tip + " refs/heads/main\n\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(pack);
        return out.toByteArray();
    }

    static byte[] pack(List<byte[]> objects, long count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("PACK".getBytes(StandardCharsets.US_ASCII));
        writeInt(out, 2);
        writeInt(out, count);
        objects.forEach(out::writeBytes);
        try {
            out.writeBytes(MessageDigest.getInstance("SHA-1").digest(out.toByteArray()));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    /** An object whose header declares {@code declared} bytes, followed by {@code data} deflated. */
    static byte[] whole(int type, long declared, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        header(out, type, declared);
        out.writeBytes(deflate(data));
        return out.toByteArray();
    }

    static byte[] refDelta(String base, byte[] delta) {
        return refDelta(base, delta.length, delta);
    }

    /** A delta on {@code base} whose header declares {@code declared} bytes, whatever it carries. */
    static byte[] refDelta(String base, long declared, byte[] delta) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        header(out, 7, declared);
        for (int i = 0; i < 40; i += 2) {
            out.write(Integer.parseInt(base.substring(i, i + 2), 16));
        }
        out.writeBytes(deflate(delta));
        return out.toByteArray();
    }

    /** A delta whose base starts {@code distance} bytes before this object does (git's offset encoding). */
    static byte[] offsetDelta(long distance, byte[] delta) {
        return offsetDelta(distance, delta.length, delta);
    }

    /** As {@link #offsetDelta(long, byte[])}, its header declaring {@code declared} bytes. */
    static byte[] offsetDelta(long distance, long declared, byte[] delta) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        header(out, 6, declared);
        byte[] encoded = new byte[10];
        int at = encoded.length - 1;
        encoded[at] = (byte) (distance & 0x7f);
        while ((distance >>>= 7) != 0) {
            encoded[--at] = (byte) (0x80 | (--distance & 0x7f));
        }
        out.write(encoded, at, encoded.length - at);
        out.writeBytes(deflate(delta));
        return out.toByteArray();
    }

    /**
     * A delta's bytes: from a base of {@code baseSize} bytes, copy its first {@code copied}, then
     * insert {@code inserted} (at most 127 bytes).
     */
    static byte[] copyThenInsert(long baseSize, int copied, byte[] inserted) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, baseSize);
        varint(out, copied + inserted.length);
        for (int done = 0; done < copied; ) {
            int n = Math.min(copied - done, 0xffff);
            // Copy: offset bytes (those set), then size bytes, of the base.
            out.write(0x80 | 0x0f | 0x30);
            out.write(done & 0xff);
            out.write((done >>> 8) & 0xff);
            out.write((done >>> 16) & 0xff);
            out.write((done >>> 24) & 0xff);
            out.write(n & 0xff);
            out.write((n >>> 8) & 0xff);
            done += n;
        }
        if (inserted.length > 0) {
            out.write(inserted.length);
            out.writeBytes(inserted);
        }
        return out.toByteArray();
    }

    static void varint(ByteArrayOutputStream out, long value) {
        while (value >= 0x80) {
            out.write((int) (value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static void header(ByteArrayOutputStream out, int type, long size) {
        int c = (type << 4) | (int) (size & 15);
        size >>>= 4;
        while (size != 0) {
            out.write(c | 0x80);
            c = (int) (size & 0x7f);
            size >>>= 7;
        }
        out.write(c);
    }

    private static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream out, long value) {
        out.write((int) (value >>> 24) & 0xff);
        out.write((int) (value >>> 16) & 0xff);
        out.write((int) (value >>> 8) & 0xff);
        out.write((int) value & 0xff);
    }
}
