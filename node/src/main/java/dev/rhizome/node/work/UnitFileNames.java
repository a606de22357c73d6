package dev.rhizome.node.work;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

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

    /** What {@link #renameOldFiles} does with an old-named file whose unit's file, under its name now, is there too. */
    enum WhenBothNamed {
        /** Leave it: its owner's own pass deals with it (the outbox sends every file it holds). */
        LEAVE_OLD,
        /** Delete it: the file under the unit's name now was kept since, and replaces it. */
        DELETE_OLD
    }

    /** Reads the unit id a unit's file holds; empty when it holds none of ours (unreadable, or not ours to name). */
    @FunctionalInterface
    interface UnitIdReader {
        Optional<String> unitId(Path file);
    }

    /**
     * Gives each file of {@code dir} ending in {@code suffix} that was named by its unit's id made plain
     * ({@link #legacy}) the name that is its unit's now ({@link #of}), read from the file itself by
     * {@code reader}. Only a name that can be of that naming is read, one that {@link #of} does not
     * give any id that way: a stem holding {@code _} (what the old naming wrote for every character
     * outside the plain ones), of dots alone or none, or longer than {@link #MAX_CHARS} (the old
     * naming kept it whole): a large outbox of usual ids starts without reading its files. A file
     * that cannot be moved stays under its old name (its owner's pass still finds it by its content).
     *
     * @throws IOException when {@code dir} cannot be listed
     */
    static void renameOldFiles(Path dir, String suffix, UnitIdReader reader, WhenBothNamed whenBothNamed)
            throws IOException {
        List<Path> maybeOld = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + suffix)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (canBeOld(name.substring(0, name.length() - suffix.length()))) {
                    maybeOld.add(f);
                }
            }
        }
        for (Path f : maybeOld) {
            Optional<String> unitId = reader.unitId(f);
            if (unitId.isEmpty() || unitId.get().isEmpty()) {
                continue;
            }
            Path named = dir.resolve(of(unitId.get()) + suffix);
            try {
                if (named.equals(f)) {
                    continue;
                } else if (!Files.exists(named)) {
                    DurableFiles.move(f, named);
                } else if (whenBothNamed == WhenBothNamed.DELETE_OLD) {
                    DurableFiles.delete(f);
                }
            } catch (IOException e) {
                // left under its old name, where its owner still reads it
            }
        }
    }

    /** Whether {@code stem} can be a name the old naming gave that {@link #of} gives no id. */
    static boolean canBeOld(String stem) {
        return stem.indexOf('_') >= 0 || stem.chars().allMatch(c -> c == '.') || stem.length() > MAX_CHARS;
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
