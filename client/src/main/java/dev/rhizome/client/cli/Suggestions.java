package dev.rhizome.client.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The names a mistyped word most likely meant. picocli's own suggestions missed the obvious
 * (`rhizome breif` offered tree, renew and verify, not brief): a swap of two letters is one edit
 * here (optimal string alignment distance), and only names within a third of the word's length
 * are offered, closest first.
 */
public final class Suggestions {
    private Suggestions() {
    }

    /** At most three of {@code names} close to {@code typed}, closest first; empty when none is close. */
    public static List<String> closest(String typed, Collection<String> names) {
        String word = typed.toLowerCase(Locale.ROOT);
        int limit = Math.max(1, stripDashes(word).length() / 3);
        List<String> close = new ArrayList<>();
        for (String name : names) {
            int d = distance(word, name.toLowerCase(Locale.ROOT));
            boolean prefix = stripDashes(word).length() >= 3 && stripDashes(name).startsWith(stripDashes(word));
            if (d <= limit || prefix) {
                close.add(name);
            }
        }
        close.sort(Comparator.comparingInt((String n) -> distance(word, n.toLowerCase(Locale.ROOT)))
                .thenComparing(Comparator.naturalOrder()));
        return close.size() > 3 ? close.subList(0, 3) : close;
    }

    /**
     * "did you mean a or b? " for the names close to {@code typed}, or "" when none is: how every
     * choice from a known set (a command, an option, a built-in seed, a knob, an enum value, a
     * config key, a direction, a unit) says what was most likely meant, in the same words.
     */
    public static String didYouMean(String typed, Collection<String> names) {
        return phrase(closest(typed, names));
    }

    /**
     * A hint that offers the names close to {@code typed} before {@code then}: "did you mean x? See
     * ...", the part after the question capitalised ({@link Sentences}), or {@code then} alone when
     * none is close. Every hint that starts with a guess is built here, so none reads "? see".
     */
    public static String hint(String typed, Collection<String> names, String then) {
        return Sentences.join(didYouMean(typed, names), then);
    }

    /** "did you mean a or b? " for names already chosen (and written as they are typed), or "" for none. */
    public static String phrase(List<String> meant) {
        return meant.isEmpty() ? "" : "did you mean " + String.join(" or ", meant) + "? ";
    }

    private static String stripDashes(String s) {
        return s.replaceFirst("^-+", "");
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
