package dev.rhizome.node.git;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The names a tree entry may have on this network, whichever file system a checkout lands on: a
 * commit is written out by nodes on Linux (jobs) and into agents' workspaces on any system, so a
 * name one of them reads as {@code .git}, as a separator or as another entry's name is refused for
 * all. JGit's {@code ObjectChecker} already refuses {@code .}, {@code ..}, {@code .git} in any
 * case, with trailing spaces or dots, and {@code git~1}; what it leaves to its per-platform modes
 * is here, without their refusals of ordinary names ({@code aux.py}).
 */
final class TreeNames {
    /** A name's bytes: NAME_MAX of Linux file systems; a longer one could not be checked out. */
    static final int MAX_NAME_BYTES = 255;
    /**
     * A path's bytes, far under PATH_MAX (4096) with a checkout's own directory in front of it; a
     * research program's paths are tens of bytes. Bounds the nesting too (two bytes a level at least).
     */
    static final int MAX_PATH_BYTES = 1024;

    /** NTFS short names of {@code .git} ({@code GIT~1}, {@code GIT~2}, ...), whatever the digits. */
    private static final Pattern SHORT_GIT = Pattern.compile("git~[0-9]+");
    /** Code points HFS+ ignores in a name: {@code .g\u200Cit} is {@code .git} there. */
    private static final Pattern HFS_IGNORED = Pattern.compile("[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]");

    private TreeNames() {
    }

    /** Why {@code raw[from, to)} may not name a tree entry, or null when it may. */
    static String problem(byte[] raw, int from, int to) {
        int length = to - from;
        if (length == 0) {
            return "an empty name";
        }
        if (length > MAX_NAME_BYTES) {
            return "a name of " + length + " bytes (at most " + MAX_NAME_BYTES + ")";
        }
        boolean plainAscii = raw[from] != '.' && raw[from] != ' ';
        for (int i = from; i < to; i++) {
            int b = raw[i] & 0xff;
            if (b < 0x20 || b == 0x7f) {
                return String.format("a name with the control character 0x%02x", b);
            }
            if (b == '/' || b == '\\') {
                return "a name with a path separator ('" + (char) b + "')";
            }
            plainAscii &= b < 0x80 && b != '~';
        }
        if (plainAscii) {
            // Most names: every rule below needs a leading dot or space, a '~' or a byte past ASCII.
            return null;
        }
        String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw, from, length)).toString();
        } catch (CharacterCodingException e) {
            // Decoded for a path, its bad bytes become U+FFFD: two such names are one file.
            return "a name that is not UTF-8";
        }
        String plain = HFS_IGNORED.matcher(name).replaceAll("").toLowerCase(Locale.ROOT);
        // Windows drops trailing dots and spaces, and reads what follows a colon as a stream of the file.
        String windows = plain.replaceFirst("[:].*$", "").replaceFirst("[ .]+$", "");
        if (windows.equals(".git") || SHORT_GIT.matcher(windows).matches()) {
            return "a name some file system reads as .git";
        }
        if (plain.equals(".") || plain.equals("..") || windows.isEmpty() || windows.equals(".") || windows.equals("..")) {
            return "a name some file system reads as '.' or '..'";
        }
        return null;
    }

    /** As {@link #problem(byte[], int, int)}, for one segment of a path given as text. */
    static String problem(String segment) {
        byte[] raw = segment.getBytes(StandardCharsets.UTF_8);
        return problem(raw, 0, raw.length);
    }
}
