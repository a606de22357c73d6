package dev.rhizome.client.cli;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Words of a command we print for the user to copy (a hint, the brief's commands), written so a
 * POSIX shell reads each back as one word: a data directory "my dir" printed bare became two
 * arguments, and the copied command failed on a directory nobody named.
 */
public final class Shell {
    /** What a shell never splits or expands, so it can stay bare (and readable). */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private Shell() {
    }

    /** The word as a shell reads it back: bare when that is safe, else in single quotes. */
    public static String quote(String word) {
        if (PLAIN.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** A path as an absolute, normalized word: a relative one meant nothing once the brief was read elsewhere. */
    public static String quote(Path path) {
        return quote(path.toAbsolutePath().normalize().toString());
    }
}
