package dev.rhizome.protocol;

/**
 * Which characters of text from someone else may reach a reader as they are. Not: the C0 controls
 * but tab and line feed (ESC starts the sequences that retitle, clear or reprogram a terminal; CR
 * overwrites what a line showed; NUL makes text binary), DEL and the C1 controls (0x9B is a CSI on
 * its own), the bidirectional embeddings, overrides, isolates and marks (they show text in an
 * order other than the one stored: a class or name spelled backwards reads as another), the line
 * and paragraph separators, a surrogate without its pair, and the noncharacters (U+FDD0-FDEF and
 * the last two of every plane, U+FFFE and U+FFFF among them: never for interchange, and no XML
 * document may hold them, so one in a logged refusal made the test report that held it unreadable).
 * Pure.
 */
public final class Printable {
    private Printable() {
    }

    /** True for a code point that must not reach a reader as it is. */
    public static boolean unsafe(int c) {
        return (Character.isISOControl(c) && c != '\t' && c != '\n') || bidiControl(c)
                || c == '\u2028' || c == '\u2029' || Character.getType(c) == Character.SURROGATE
                || nonCharacter(c);
    }

    /** U+FDD0-FDEF, and U+xxFFFE and U+xxFFFF of every plane. */
    private static boolean nonCharacter(int c) {
        return (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
    }

    /** The index of the first unsafe character of {@code text}, or -1 when there is none. */
    public static int firstUnsafe(String text) {
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (unsafe(c)) {
                return i;
            }
            i += Character.charCount(c);
        }
        return -1;
    }

    /** The text with each unsafe character replaced by {@code ?}: what a terminal may be shown. */
    public static String shown(String text) {
        if (firstUnsafe(text) < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (unsafe(c)) {
                out.append('?');
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /** The explicit embeddings, overrides and isolates, and the marks: U+200E-200F, 202A-202E, 2066-2069, 061C. */
    private static boolean bidiControl(int c) {
        return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x061C;
    }
}
