package dev.rhizome.coordinator.http;

import dev.rhizome.protocol.Printable;

/**
 * A refusal's message as it is sent. Many messages quote what the client sent (Netty's decoder
 * quotes a header name, protobuf's JSON parser a field name, the envelope check a record type),
 * and a client reads the message on a terminal or hands it to an agent: a C1 control (0x9B is a
 * CSI on its own), a bidirectional override or a line feed came back as sent, and a field name of a
 * megabyte came back whole. So every character {@link Printable} does not let through, and tab and
 * line feed (a refusal is one line), is sent as a visible {@code \\uXXXX}, and a message longer than
 * {@link #MAX_CHARS} keeps its start (what is wrong) and its end (what to do) around a note of how
 * much was left out. The log has {@code LogSafe} for the same reason.
 *
 * <p>What a refusal quotes of its request is bounded too, wherever it was quoted: a run of more
 * than {@link #MAX_WORD_CHARS} characters without a space (no word this server writes is that long;
 * a path, a query value, a header's value or a record's field sent at thousands of characters is)
 * keeps its first {@link #KEEP_WORD} and a note of how many were left out. {@code ?state=} and its
 * like came back at any length up to the message's bound, which then cut the message's middle (the
 * hint of what to do among it); the sites that quote a value that may hold spaces bound it as well
 * ({@code LogSafe.of(value, 60)}). Pure.
 */
final class RefusalText {
    /** Characters of a message sent at most: the longest this server writes are a few hundred. */
    static final int MAX_CHARS = 1000;
    private static final int KEEP_START = 600;
    private static final int KEEP_END = 300;
    /** A run of characters without whitespace longer than this is an echoed value, cut. */
    static final int MAX_WORD_CHARS = 80;
    private static final int KEEP_WORD = 60;

    private RefusalText() {
    }

    static String of(String message) {
        if (message == null) {
            return "";
        }
        String shown = wordsBounded(escaped(message));
        if (shown.length() <= MAX_CHARS) {
            return shown;
        }
        int start = cutBefore(shown, KEEP_START);
        int end = cutBefore(shown, shown.length() - KEEP_END);
        return shown.substring(0, start) + " ...(" + (end - start) + " characters left out)... " + shown.substring(end);
    }

    private static String escaped(String message) {
        if (Printable.firstUnsafe(message) < 0 && message.indexOf('\n') < 0 && message.indexOf('\t') < 0) {
            return message;
        }
        StringBuilder out = new StringBuilder(message.length() + 16);
        message.codePoints().forEach(c -> {
            if (c == '\n' || c == '\t' || Printable.unsafe(c)) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /** Each run of more than {@link #MAX_WORD_CHARS} non-whitespace characters cut to its start and a note. */
    private static String wordsBounded(String message) {
        StringBuilder out = null;
        int word = 0;
        for (int i = 0; i <= message.length(); i++) {
            if (i < message.length() && !Character.isWhitespace(message.charAt(i))) {
                continue;
            }
            if (i - word > MAX_WORD_CHARS) {
                if (out == null) {
                    out = new StringBuilder(message.length());
                    out.append(message, 0, word);
                }
                int keep = cutBefore(message, word + KEEP_WORD);
                out.append(message, word, keep).append("...(").append(i - keep).append(" more chars)");
            } else if (out != null) {
                out.append(message, word, i);
            }
            if (out != null && i < message.length()) {
                out.append(message.charAt(i));
            }
            word = i + 1;
        }
        return out == null ? message : out.toString();
    }

    /** {@code at}, or one before it where it would split a surrogate pair. */
    private static int cutBefore(String text, int at) {
        return at > 0 && Character.isLowSurrogate(text.charAt(at)) ? at - 1 : at;
    }
}
