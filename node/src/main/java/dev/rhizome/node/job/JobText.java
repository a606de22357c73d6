package dev.rhizome.node.job;

import dev.rhizome.protocol.Printable;

/**
 * Text a job wrote, made fit to show a person or to put in a log or a signed result: its progress
 * lines reach the node's log and {@code rhizome node status} in the volunteer's terminal, and a
 * harness's error line becomes a result's reason. Raw, a line could hold terminal escapes (clear
 * the screen, fake a status line, set the clipboard through OSC 52 on many terminals), carriage
 * returns that overwrite what came before, or bidirectional overrides that reorder what is read.
 * Each such character becomes {@code ?}; a tab a space; the text is cut to a length.
 */
public final class JobText {
    /** The most of one message of a failure's chain that a log line keeps ({@link #loggable}). */
    public static final int MAX_MESSAGE_CHARS = 1000;
    /** How many causes and suppressed failures deep a logged failure is followed. */
    private static final int MAX_DEPTH = 8;

    private JobText() {
    }

    /**
     * {@code failure} as a log may print it, with its stack trace: the same frames (the node's code), each message of
     * its chain of causes and suppressed failures made {@link #printable} and cut. A failure met while running a job
     * names what the job chose: a file of its tree in an {@code IOException} of the delete, a line of its helper's,
     * a path its checkout held, and the node logged such failures whole (SlotWorker's "work unit failed"), raw bytes
     * that could clear the volunteer's terminal or forge a log line. Each is shown as {@code JobText$Shown: } and the
     * original's class and message.
     */
    public static Throwable loggable(Throwable failure) {
        return shown(failure, MAX_DEPTH);
    }

    private static Throwable shown(Throwable t, int depth) {
        Throwable cause = t.getCause();
        Shown shown = new Shown(printable(String.valueOf(t), MAX_MESSAGE_CHARS),
                cause == null || cause == t || depth == 0 ? null : shown(cause, depth - 1));
        shown.setStackTrace(t.getStackTrace());
        if (depth > 0) {
            for (Throwable suppressed : t.getSuppressed()) {
                shown.addSuppressed(shown(suppressed, depth - 1));
            }
        }
        return shown;
    }

    /** A failure's text made printable, standing in its place in a log. */
    static final class Shown extends Exception {
        private static final long serialVersionUID = 1L;

        Shown(String text, Throwable cause) {
            super(text, cause);
        }

        /** The original's class and message alone, as its own {@code toString} gave them. */
        @Override
        public String toString() {
            return getMessage();
        }
    }

    public static String printable(String text, int maxChars) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxChars + 3));
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (out.length() >= maxChars) {
                out.append("...");
                break;
            }
            if (c == '\t') {
                out.append(' ');
            } else if (c == '\n' || Printable.unsafe(c)) {
                out.append('?');
            } else {
                out.appendCodePoint(c);
            }
        }
        return out.toString();
    }
}
