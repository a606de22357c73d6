package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBuf;

/**
 * Follows a chunked request body's framing (RFC 9112, 7.1) byte by byte as it arrives, to judge
 * each chunk-size line by its first bytes. Netty's decoder reads a size line only once it is whole
 * and then takes whatever size it declares: a line declaring {@code 7fffffff} was refused only
 * once 1 MiB of its data had come (or at the request timeout), and a line of garbage only at its
 * line end or at 4 KB. Here a size past what the body may still hold is too large at the digit
 * that makes it so, and a byte that cannot be in a size line is malformed where it stands.
 * Pure: fed bytes, it says what it found; it reads no further than the last chunk's size line
 * (trailers and what follows are Netty's).
 */
final class ChunkedBody {
    enum Verdict { READING, LAST_CHUNK, TOO_LARGE, MALFORMED }

    private enum State { SIZE, AFTER_SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF }

    private final long maxBytes;
    private State state = State.SIZE;
    private Verdict verdict = Verdict.READING;
    private boolean digits;
    private long size;
    private long declared;
    private long dataLeft;
    private String problem = "";

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
                    verdict = Verdict.LAST_CHUNK;
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
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void malformed(String why) {
        verdict = Verdict.MALFORMED;
        problem = why;
    }

    private static String describe(int b) {
        return b > 0x20 && b < 0x7f ? "\"" + (char) b + "\"" : String.format("byte 0x%02x", b);
    }
}
