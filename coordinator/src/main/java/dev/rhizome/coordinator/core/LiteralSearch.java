package dev.rhizome.coordinator.core;

/**
 * Whether a text holds a word, in time linear in both (Knuth-Morris-Pratt). {@link String#contains}
 * compares the word again from each position, so its cost is the text's length times the word's
 * where the text nearly matches: a paper search of 999 {@code a}s and a {@code b} took 63 ms per
 * paper of 64 KiB of {@code a}s, and a page's walk looks at up to 2,000 papers, all for one
 * unauthenticated {@code GET}. No I/O.
 */
public final class LiteralSearch {
    private LiteralSearch() {
    }

    /** Whether {@code text} holds {@code word} as a run of the same chars (as {@link String#contains}). */
    public static boolean contains(String text, String word) {
        int m = word.length();
        if (m == 0) {
            return true;
        }
        if (m > text.length()) {
            return false;
        }
        int[] fallback = fallback(word);
        int matched = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            while (matched > 0 && word.charAt(matched) != c) {
                matched = fallback[matched - 1];
            }
            if (word.charAt(matched) == c && ++matched == m) {
                return true;
            }
        }
        return false;
    }

    /** For each prefix of {@code word}, the length of its longest proper prefix that is also its suffix. */
    private static int[] fallback(String word) {
        int[] f = new int[word.length()];
        int k = 0;
        for (int i = 1; i < word.length(); i++) {
            while (k > 0 && word.charAt(k) != word.charAt(i)) {
                k = f[k - 1];
            }
            if (word.charAt(k) == word.charAt(i)) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }
}
