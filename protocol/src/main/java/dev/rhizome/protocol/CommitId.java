package dev.rhizome.protocol;

import java.util.regex.Pattern;

/** Git commit ids as they travel in records: 40 lowercase hex digits (SHA-1 repositories). */
public final class CommitId {
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    private CommitId() {
    }

    public static boolean isValid(String id) {
        return id != null && SHA1.matcher(id).matches();
    }

    /** Returns the id unchanged, or throws naming the field that holds a malformed one. */
    public static String require(String id, String field) {
        if (!isValid(id)) {
            throw new IllegalArgumentException(field + " must be a 40-hex-digit commit id, got '" + id + "'");
        }
        return id;
    }

    public static String abbreviate(String id) {
        return id == null || id.length() < 10 ? String.valueOf(id) : id.substring(0, 10);
    }
}
