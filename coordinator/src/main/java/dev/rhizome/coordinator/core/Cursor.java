package dev.rhizome.coordinator.core;

import dev.rhizome.protocol.CommitId;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a page of a list route ended: the sort key of its last item, named by the list it came
 * from. Clients treat it as opaque (base64url text); the coordinator reads it back as the keyset
 * bound of the next page, so a page costs a bounded range read whatever the history's length.
 *
 * <p>A cursor is read back only in the exact spelling {@link #encode} writes, with every part of
 * the kind its list keeps there ({@link Field}): anything else is a 400 naming {@code after} and
 * the problem. Checking only the shape let forgeries through as other positions: a negative audit
 * position ({@code c1|audit|-1}) was served as the first page, padded or non-canonical base64 and
 * percent-encoded parts as the page they spelt.
 */
public record Cursor(String list, List<String> parts) {
    private static final String VERSION = "c1";
    /** Far more than any cursor this coordinator writes (a few numbers, a name and a commit). */
    static final int MAX_LENGTH = 1024;
    private static final Pattern NUMBER = Pattern.compile("0|-?[1-9][0-9]{0,18}");
    private static final Pattern NAME_TEXT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (RequestRules.MAX_NAME_CHARS - 1) + "}");
    private static final Pattern KEY_HEX = Pattern.compile("[0-9a-f]{64}");

    /** What one part of a list's cursor holds, and so which values a cursor of that list may carry. */
    public enum Field {
        /** A sequence number or count: a whole number from 0 (what a store hands out). */
        POSITION("a whole number from 0 to " + Long.MAX_VALUE),
        /** A unit's place in claim order: units queued ahead have negative ones. */
        SIGNED_POSITION("a whole number"),
        /** A count kept as an int (a volunteer's valid results). */
        COUNT("a whole number from 0 to " + Integer.MAX_VALUE),
        /** A seed or direction name. */
        NAME("a name"),
        /** A commit id, 40 lowercase hex digits. */
        COMMIT("a 40-hex-digit commit id"),
        /** A public key, 64 lowercase hex digits. */
        KEY("a 64-hex-digit key");

        private final String what;

        Field(String what) {
            this.what = what;
        }

        boolean accepts(String part) {
            return switch (this) {
                case POSITION -> isNumber(part) && !part.startsWith("-");
                case SIGNED_POSITION -> isNumber(part);
                case COUNT -> isNumber(part) && !part.startsWith("-") && Long.parseLong(part) <= Integer.MAX_VALUE;
                case NAME -> NAME_TEXT.matcher(part).matches();
                case COMMIT -> CommitId.isValid(part);
                case KEY -> KEY_HEX.matcher(part).matches();
            };
        }

        private static boolean isNumber(String part) {
            if (!NUMBER.matcher(part).matches()) {
                return false;
            }
            try {
                Long.parseLong(part);
                return true;
            } catch (NumberFormatException e) {
                return false;  // 19 digits past Long.MAX_VALUE
            }
        }
    }

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

    /** Reads a cursor that {@link #encode} wrote for {@code list}, whose parts are {@code fields}. */
    public static Cursor decode(String list, List<Field> fields, String text) {
        if (text.length() > MAX_LENGTH) {
            throw bad("is " + text.length() + " characters long, longer than any cursor");
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw bad("is not base64url");
        }
        // The decoder also takes '=' padding and stray low bits in the last character: other spellings of one cursor
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(text)) {
            throw bad("is not base64url as this coordinator writes it (no '=' padding, no stray bits in the last character)");
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw bad("is not a cursor (not UTF-8 text)");
        }
        String[] given = decoded.split("\\|", -1);
        if (given.length < 2 || !given[0].equals(VERSION)) {
            throw bad("is not a cursor");
        }
        if (!given[1].equals(list)) {
            throw bad("is a cursor of another list; pass the 'next' of this route's previous page");
        }
        if (given.length != fields.size() + 2) {
            throw bad("is not a cursor of this list (it has " + (given.length - 2) + " parts, this list's have "
                    + fields.size() + ")");
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            String part;
            try {
                part = URLDecoder.decode(given[i + 2], StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw bad("is not a cursor of this list (part " + (i + 1) + " is not URL-encoded text)");
            }
            // checked before any store reads it: a forged "%00" reached PostgreSQL (a 500), a "-1" was read as the first page
            if (!fields.get(i).accepts(part)) {
                throw bad("is not a cursor of this list (part " + (i + 1) + " must be " + fields.get(i).what + ")");
            }
            parts.add(part);
        }
        Cursor cursor = new Cursor(list, parts);
        if (!cursor.encode().equals(text)) {
            throw bad("is not a cursor of this list (a part is spelt otherwise than this coordinator writes it)");
        }
        return cursor;
    }

    public String text(int i) {
        return parts.get(i);
    }

    /** A number part: {@link #decode} has checked it is one, in the range its list's field allows. */
    public long number(int i) {
        if (!Field.isNumber(parts.get(i))) {
            throw bad("is not a cursor of this list");
        }
        try {
            return Long.parseLong(parts.get(i));
        } catch (NumberFormatException e) {
            throw bad("is not a cursor of this list");
        }
    }

    private static Rejection bad(String problem) {
        return Rejection.badRequest("query parameter after " + problem
                + " (pass the 'next' value of the previous page unchanged, or leave after out for the first page)");
    }
}
