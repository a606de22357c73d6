package dev.rhizome.coordinator.core;

import dev.rhizome.protocol.Printable;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Where a page of a list route ended: the sort key of its last item, named by the list it came
 * from. Clients treat it as opaque (base64url text); the coordinator reads it back as the keyset
 * bound of the next page, so a page costs a bounded range read whatever the history's length.
 * A cursor of another list, or text that was never a cursor, is a 400 naming the parameter.
 */
public record Cursor(String list, List<String> parts) {
    private static final String VERSION = "c1";
    /** Far more than any cursor this coordinator writes (a few numbers, a name and a commit). */
    static final int MAX_LENGTH = 1024;
    private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("0|-?[1-9][0-9]{0,18}");

    public Cursor {
        parts = List.copyOf(parts);
    }

    public static Cursor of(String list, Object... parts) {
        List<String> text = new ArrayList<>();
        for (Object p : parts) {
            text.add(String.valueOf(p));
        }
        return new Cursor(list, text);
    }

    public String encode() {
        StringBuilder s = new StringBuilder(VERSION).append('|').append(list);
        for (String p : parts) {
            s.append('|').append(URLEncoder.encode(p, StandardCharsets.UTF_8));
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a cursor that {@link #encode} wrote for {@code list} with {@code arity} parts. */
    public static Cursor decode(String list, int arity, String text) {
        if (text.length() > MAX_LENGTH) {
            throw bad("is " + text.length() + " characters long, longer than any cursor");
        }
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw bad("is not base64url");
        }
        String[] fields = decoded.split("\\|", -1);
        if (fields.length < 2 || !fields[0].equals(VERSION)) {
            throw bad("is not a cursor");
        }
        if (!fields[1].equals(list)) {
            throw bad("is a cursor of another list; pass the 'next' of this route's previous page");
        }
        if (fields.length != arity + 2) {
            throw bad("is not a cursor of this list");
        }
        List<String> parts = new ArrayList<>();
        for (int i = 2; i < fields.length; i++) {
            String part;
            try {
                part = URLDecoder.decode(fields[i], StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw bad("is not a cursor of this list");
            }
            // Parts are names and commits, as stored: a forged "%00" reached PostgreSQL (a 500).
            if (Printable.firstUnsafe(part) >= 0) {
                throw bad("is not a cursor of this list");
            }
            parts.add(part);
        }
        return new Cursor(list, parts);
    }

    public String text(int i) {
        return parts.get(i);
    }

    /**
     * A number part, as {@link #of} wrote it: ASCII digits after an optional minus. {@code
     * Long.parseLong} also takes a plus and any script's digits ("\u0661\u0662" is 12), so forged
     * cursors of other spellings were read as this one's position.
     */
    public long number(int i) {
        String text = parts.get(i);
        if (!NUMBER.matcher(text).matches()) {
            throw bad("is not a cursor of this list");
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw bad("is not a cursor of this list");
        }
    }

    private static Rejection bad(String problem) {
        return Rejection.badRequest("query parameter after " + problem
                + " (pass the 'next' value of the previous page unchanged, or leave after out for the first page)");
    }
}
