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
 * much was left out. The log has {@code LogSafe} for the same reason. Pure.
 */
final class RefusalText {
    /** Characters of a message sent at most: the longest this server writes are a few hundred. */
    static final int MAX_CHARS = 1000;
    private static final int KEEP_START = 600;
    private static final int KEEP_END = 300;

    private RefusalText() {
    }

    static String of(String message) {
        if (message == null) {
            return "";
        }
        String shown = escaped(message);
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

    /** {@code at}, or one before it where it would split a surrogate pair. */
    private static int cutBefore(String text, int at) {
        return at > 0 && Character.isLowSurrogate(text.charAt(at)) ? at - 1 : at;
    }
}
