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
    private JobText() {
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
