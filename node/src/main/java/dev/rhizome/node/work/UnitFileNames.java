package dev.rhizome.node.work;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A unit's id as one file name, one to one: the node keeps a file per unit (its give-back, its
 * result in the outbox, its job's log), and the names were once the id with every character outside
 * {@code [A-Za-z0-9._-]} replaced by {@code _}, so "u/1" and "u:1" shared a file and one unit's
 * give-back or result overwrote the other's. Now such a character is written as {@code %} and its
 * UTF-8 bytes in hex ({@code %} itself among them), so no two ids share a name; an id of the usual
 * characters (a UUID, "unit-42") keeps the name it had. An id of dots alone, or none, is written in
 * full ({@code %2E%2E}, {@code %}) so that it never names a directory; an id whose name would pass
 * {@link #MAX_CHARS} keeps a readable head and, after a {@code ~} no shorter name holds, the
 * SHA-256 of the whole id. The files that can be read hold the id itself, which is what counts.
 */
final class UnitFileNames {
    /** Room under a file system's 255 bytes for the longest suffix a store adds. */
    static final int MAX_CHARS = 200;
    private static final int HEAD_CHARS = 64;

    private UnitFileNames() {
    }

    /** The file name (without a suffix) that stands for {@code unitId}. */
    static String of(String unitId) {
        StringBuilder name = new StringBuilder(unitId.length());
        boolean dotsOnly = unitId.chars().allMatch(c -> c == '.');
        for (byte b : unitId.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (plain(c) && !dotsOnly) {
                name.append((char) c);
            } else {
                name.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        if (name.isEmpty()) {
            return "%";  // no other id's name is a lone %
        }
        if (name.length() > MAX_CHARS) {
            return name.substring(0, HEAD_CHARS) + "~" + sha256(unitId);
        }
        return name.toString();
    }

    /** The name the id had before names were one to one: read at start so that no file of it is lost. */
    static String legacy(String unitId) {
        return unitId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static boolean plain(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                || c == '-';
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
