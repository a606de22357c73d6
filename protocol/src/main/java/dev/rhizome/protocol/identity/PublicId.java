package dev.rhizome.protocol.identity;

import com.google.protobuf.ByteString;
import dev.rhizome.protocol.LogSafe;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/** A participant's public identity: a raw 32-byte Ed25519 public key, written as 64 hex digits. */
public final class PublicId {
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] key;

    private PublicId(byte[] key) {
        this.key = key;
    }

    public static PublicId of(byte[] key) {
        if (key == null || key.length != LENGTH) {
            throw new IllegalArgumentException("public id must be " + LENGTH + " bytes, got "
                    + (key == null ? "none" : key.length));
        }
        return new PublicId(key.clone());
    }

    public static PublicId of(ByteString key) {
        return of(key.toByteArray());
    }

    /** Parses the 64-hex-digit form that {@link #toString()} prints. */
    public static PublicId parse(String hex) {
        if (hex == null || hex.length() != LENGTH * 2) {
            throw new IllegalArgumentException("public id must be " + (LENGTH * 2) + " hex digits: " + LogSafe.of(hex, 80));
        }
        try {
            return new PublicId(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("public id is not hex: " + hex, e);
        }
    }

    public byte[] bytes() {
        return key.clone();
    }

    public ByteString toByteString() {
        return ByteString.copyFrom(key);
    }

    /** The first 12 hex digits, for logs and tables. */
    public String shortForm() {
        return toString().substring(0, 12);
    }

    /** Hex of a raw key held in a record, or "-" for none. */
    public static String hex(ByteString key) {
        return key == null || key.isEmpty() ? "-" : HEX.formatHex(key.toByteArray());
    }

    @Override
    public String toString() {
        return HEX.formatHex(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicId other && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(key));
    }
}
