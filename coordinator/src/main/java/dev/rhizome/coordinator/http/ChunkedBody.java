package dev.rhizome.coordinator.http;

import dev.rhizome.protocol.LogSafe;
import io.netty.buffer.ByteBuf;

/**
 * Follows a chunked request body's framing (RFC 9112, 7.1) byte by byte as it arrives, to judge
 * each chunk-size line by its first bytes. Netty's decoder reads a size line only once it is whole
 * and then takes whatever size it declares: a line declaring {@code 7fffffff} was refused only
 * once 1 MiB of its data had come (or at the request timeout), and a line of garbage only at its
 * line end or at 4 KB. Here a size past what the body may still hold is too large at the digit
 * that makes it so, and a byte that cannot be in a size line is malformed where it stands.
 *
 * <p>It follows the trailer section after the last chunk too, to its empty line, and no further.
 * Netty's decoder dropped a {@code Content-Length}, {@code Transfer-Encoding} or {@code Trailer}
 * sent there without a word and joined a folded trailer line to the one before, so one body's end
 * could be read two ways by two readers. A field that frames, routes or describes the request
 * ({@link MessageRules#belongsInTheHeader}) or a folded line is malformed here; any other
 * trailer field is read past and ignored (RFC 9112, 7.1.2 lets a recipient discard them).
 * Pure: fed bytes, it says what it found.
 */
final class ChunkedBody {
    /**
     * {@code ENDED}: the last chunk and the trailer section after it were read; {@code TRAILER_TOO_LARGE}:
     * the trailer section is past the bounds of a head's field lines (431, as a head's would be).
     */
    enum Verdict { READING, ENDED, TOO_LARGE, MALFORMED, TRAILER_TOO_LARGE }

    private enum State {
        SIZE, AFTER_SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF,
        TRAILER_LINE, TRAILER_NAME, TRAILER_VALUE, TRAILER_LF, END_LF
    }

    /** Longer than any name {@link MessageRules#belongsInTheHeader} knows: a longer one is not one of them. */
    private static final int NAME_KEPT = 64;

    private final long maxBytes;
    private State state = State.SIZE;
    private Verdict verdict = Verdict.READING;
    private boolean digits;
    private long size;
    private long declared;
    private long dataLeft;
    private String problem = "";
    /** The trailer field name being read (its first {@link #NAME_KEPT} characters). */
    private final StringBuilder name = new StringBuilder();
    /** The trailer section's field lines so far, the bytes of the one being read, and of all. */
    private int trailerLines;
    private int lineBytes;
    private int trailerBytes;

    /** @param maxBytes the most all the chunks' data together may declare */
    ChunkedBody(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    Verdict verdict() {
        return verdict;
    }

    /** What was wrong, for a refusal's message; empty while reading. */
    String problem() {
        return problem;
    }

    /**
     * Reads {@code bytes} from index {@code from} up to {@code to}; returns how many it read: all
     * of them, or fewer once it has a verdict other than {@link Verdict#READING}.
     */
    int read(ByteBuf bytes, int from, int to) {
        int i = from;
        while (i < to && verdict == Verdict.READING) {
            if (state == State.DATA) {
                int skipped = (int) Math.min(dataLeft, to - i);
                dataLeft -= skipped;
                i += skipped;
                if (dataLeft == 0) {
                    state = State.DATA_CR;
                }
                continue;
            }
            step(bytes.getByte(i) & 0xff);
            i++;
        }
        return i - from;
    }

    private void step(int b) {
        if (state == State.TRAILER_NAME || state == State.TRAILER_VALUE || state == State.TRAILER_LF) {
            lineBytes++;
            trailerBytes++;
            if (state != State.TRAILER_LF && b != '\r' && lineBytes > MessageRules.MAX_FIELD_LINE_BYTES) {
                tooLarge(MessageRules.fieldLineTooLong("trailer", name.toString()).getMessage());
                return;
            }
            if (trailerBytes > MessageRules.MAX_HEADER_BYTES) {
                tooLarge(MessageRules.fieldLinesTooLarge().getMessage());
                return;
            }
        }
        switch (state) {
            case SIZE -> {
                int digit = Character.digit(b, 16);
                if (digit >= 0) {
                    digits = true;
                    size = size * 16 + digit;  // bounded below before it can overflow
                    if (size > maxBytes - declared) {
                        verdict = Verdict.TOO_LARGE;
                        problem = "a chunk declares more than the " + maxBytes + " bytes a request body may hold";
                    }
                } else if (b == ' ' || b == '\t' || b == ';' || b == '\r') {
                    if (!digits) {
                        malformed("a chunk-size line has no size (hex digits come first)");
                        return;
                    }
                    state = b == ';' ? State.EXTENSION : b == '\r' ? State.SIZE_LF : State.AFTER_SIZE;
                } else {
                    malformed(describe(b) + " in a chunk size, which is hex digits");
                }
            }
            case AFTER_SIZE -> {
                if (b == ';') {
                    state = State.EXTENSION;
                } else if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (b != ' ' && b != '\t') {
                    malformed(describe(b) + " after a chunk size; only \";\" and an extension may follow it");
                }
            }
            case EXTENSION -> {
                if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (b < 0x20 && b != '\t' || b == 0x7f) {
                    malformed(describe(b) + " in a chunk extension");
                }
            }
            case SIZE_LF -> {
                if (b != '\n') {
                    malformed("a chunk-size line's CR is followed by " + describe(b) + ", not LF");
                } else if (size == 0) {
                    state = State.TRAILER_LINE;
                } else {
                    declared += size;
                    dataLeft = size;
                    size = 0;
                    digits = false;
                    state = State.DATA;
                }
            }
            case DATA_CR, DATA_LF -> {
                if (b != (state == State.DATA_CR ? '\r' : '\n')) {
                    malformed("a chunk's data is followed by " + describe(b) + ", not CRLF: its size line is wrong");
                } else {
                    state = state == State.DATA_CR ? State.DATA_LF : State.SIZE;
                }
            }
            case TRAILER_LINE -> {
                if (b == '\r') {
                    state = State.END_LF;
                } else if (b == ' ' || b == '\t') {
                    malformed("a trailer line starts with a space or tab (obsolete line folding); send each field "
                            + "on one line");
                } else if (b == '\n') {
                    malformed("a trailer line ends in a bare LF, not CRLF");
                } else if (isControl(b)) {
                    name.setLength(0);
                    malformed(control(b, "name"));
                } else if (++trailerLines > MessageRules.MAX_FIELD_LINES) {
                    tooLarge(MessageRules.tooManyFieldLines("trailer").getMessage());
                } else {
                    name.setLength(0);
                    name.append((char) b);
                    lineBytes = 1;
                    trailerBytes++;
                    state = State.TRAILER_NAME;
                }
            }
            case TRAILER_NAME -> {
                if (b == ':') {
                    String field = name.toString();
                    if (MessageRules.belongsInTheHeader(field)) {
                        malformed("trailer field " + field + " is not allowed: a field that frames, routes or describes "
                                + "the request goes in its header section (RFC 9110, 6.5.1); other trailer fields "
                                + "are ignored");
                    } else {
                        state = State.TRAILER_VALUE;
                    }
                } else if (b == ' ' || b == '\t') {
                    malformed("a trailer field's name is followed by whitespace before its \":\" (RFC 9112, 5.1)");
                } else if (b == '\r' || b == '\n') {
                    malformed("a trailer line has no \":\"; a trailer field is NAME: VALUE");
                } else if (isControl(b)) {
                    malformed(control(b, "name"));
                } else if (name.length() < NAME_KEPT) {
                    name.append((char) b);
                }
            }
            case TRAILER_VALUE -> {
                if (b == '\r') {
                    state = State.TRAILER_LF;
                } else if (b == '\n') {
                    malformed("a trailer line ends in a bare LF, not CRLF");
                } else if (isControl(b)) {
                    malformed(control(b, "value"));
                }
            }
            case TRAILER_LF, END_LF -> {
                if (b != '\n') {
                    malformed("a trailer line's CR is followed by " + describe(b) + ", not LF");
                } else if (state == State.END_LF) {
                    verdict = Verdict.ENDED;
                } else {
                    state = State.TRAILER_LINE;
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void tooLarge(String why) {
        verdict = Verdict.TRAILER_TOO_LARGE;
        problem = why;
    }

    private void malformed(String why) {
        verdict = Verdict.MALFORMED;
        problem = why;
    }

    /** A C0 control other than tab (CR and LF end lines, judged apart), or DEL: no field holds one (RFC 9110, 5.5). */
    private static boolean isControl(int b) {
        return (b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f;
    }

    private String control(int b, String part) {
        String field = name.length() == 0 ? "a trailer field, at its first byte" : "trailer field " + LogSafe.of(name.toString(), 40);
        return String.format("a control character (U+%04X%s) in the %s of %s: field names and values hold no control "
                + "characters but tab (RFC 9110, 5.5)", b, b == 0 ? ", NUL" : "", part, field);
    }

    private static String describe(int b) {
        return b > 0x20 && b < 0x7f ? "\"" + (char) b + "\"" : String.format("byte 0x%02x", b);
    }
}
