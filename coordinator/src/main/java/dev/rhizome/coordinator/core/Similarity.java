package dev.rhizome.coordinator.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Near-duplicate hypotheses: the token-set Jaccard similarity of two sentences, |A ∩ B| / |A ∪ B|
 * over their lower-cased words and numbers (stop words dropped). "lower the learning rate to 0.002"
 * and "learning rate lowered to 0.002" share most tokens; unrelated ideas share few. Pure.
 */
public final class Similarity {
    /** At or above this, the coordinator warns that the work looks already done or under way. */
    public static final double NEAR_DUPLICATE = 0.5;
    /** How far back a claim's hypothesis is compared. */
    public static final long WINDOW_MS = 7L * 24 * 3600 * 1000;

    static final Set<String> STOP_WORDS = Set.of("a", "an", "the", "to", "of", "in", "on", "and", "or",
            "for", "with", "by", "at", "from", "is", "it", "this", "that", "be", "as", "try", "trying", "we", "i");

    private Similarity() {
    }

    /**
     * A text to compare against: a stated hypothesis (with the unit whose claim stated it) or an
     * experiment's description (with its commit).
     */
    public record Text(String kind, String text, String commit, String unitId, long timeMs) {
        public Text(String kind, String text, String commit, long timeMs) {
            this(kind, text, commit, "", timeMs);
        }
    }

    public record Match(Text text, double similarity) {
    }

    /**
     * A text's tokens as their 64-bit hashes, sorted and distinct ({@link #hashed}): what a claim
     * keeps of each text it compares (eight bytes a token, where a set of strings took about ninety),
     * compared by one merge. Two tokens of one hash count as one: at 64 bits, a chance of about
     * 10^-12 for two texts of 4,000 tokens.
     */
    public record Tokens(long[] hashes) {
        public int size() {
            return hashes.length;
        }
    }

    /**
     * The lower-cased runs of letters, numbers, dots and underscores, without dots and underscores
     * at their ends, stop words dropped. Read in one pass over the text, with no regular expression
     * (a split, then a second expression per token): a claim's hypothesis is compared with up to a
     * thousand texts of up to 16 KiB inside its write transaction. The tokens are the same.
     */
    public static Set<String> tokens(String text) {
        return tokens(text, Integer.MAX_VALUE);
    }

    /**
     * Where a search takes each text's tokens: {@code most} is as many as it needs, since a text
     * with more is less than half similar to the hypothesis whatever it shares; a source may stop
     * reading there and answer {@code most + 1} tokens.
     */
    @FunctionalInterface
    public interface TokenSource {
        Tokens of(Text text, int most);
    }

    /** Each text read afresh, up to what the search needs. */
    public static final TokenSource AFRESH = (text, most) -> hashed(text.text(), most);

    /** {@link #tokens(String)} as {@link Tokens}. */
    public static Tokens hashed(String text) {
        return hashed(text, Integer.MAX_VALUE);
    }

    /** {@link #tokens(String, int)} as {@link Tokens}: the whole text's when it holds at most {@code most}. */
    public static Tokens hashed(String text, int most) {
        Set<String> tokens = tokens(text, most);
        long[] hashes = new long[tokens.size()];
        int i = 0;
        for (String token : tokens) {
            hashes[i++] = hash64(token);
        }
        Arrays.sort(hashes);
        int distinct = 0;
        for (int j = 0; j < hashes.length; j++) {
            if (j == 0 || hashes[j] != hashes[j - 1]) {
                hashes[distinct++] = hashes[j];
            }
        }
        return new Tokens(distinct == hashes.length ? hashes : Arrays.copyOf(hashes, distinct));
    }

    /** FNV-1a over the token's chars, then SplitMix64's finalizer so that close tokens spread. */
    static long hash64(String token) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < token.length(); i++) {
            h = (h ^ token.charAt(i)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    /** {@link #jaccard(Set, Set)} of two hashed texts. */
    static double jaccard(Tokens a, Tokens b) {
        if (a.size() == 0 && b.size() == 0) {
            return 0;
        }
        long[] x = a.hashes();
        long[] y = b.hashes();
        int common = 0;
        for (int i = 0, j = 0; i < x.length && j < y.length; ) {
            if (x[i] == y[j]) {
                common++;
                i++;
                j++;
            } else if (x[i] < y[j]) {
                i++;
            } else {
                j++;
            }
        }
        return (double) common / (x.length + y.length - common);
    }

    /** {@link #tokens(String)}, stopped once it holds more than {@code most} (then {@code most + 1}). */
    static Set<String> tokens(String text, int most) {
        String s = text.toLowerCase(Locale.ROOT);
        Set<String> tokens = new HashSet<>();
        int n = s.length();
        int i = 0;
        while (i < n && tokens.size() <= most) {
            while (i < n && !inWord(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int from = i;
            while (i < n && inWord(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int to = i;
            while (from < to && isTrimmed(s.charAt(from))) {
                from++;
            }
            while (to > from && isTrimmed(s.charAt(to - 1))) {
                to--;
            }
            if (from < to) {
                String token = s.substring(from, to);
                if (!STOP_WORDS.contains(token)) {
                    tokens.add(token);
                }
            }
        }
        return tokens;
    }

    /** A letter, a number (decimal, letter-like or other: {@code \p{N}}), a dot or an underscore. */
    private static boolean inWord(int codePoint) {
        if (isTrimmed(codePoint) || Character.isLetter(codePoint)) {
            return true;
        }
        int type = Character.getType(codePoint);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }

    private static boolean isTrimmed(int codePoint) {
        return codePoint == '.' || codePoint == '_';
    }

    public static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 0;
        }
        Set<String> union = new HashSet<>(a);
        union.addAll(b);
        Set<String> common = new HashSet<>(a);
        common.retainAll(b);
        return (double) common.size() / union.size();
    }

    /** The candidates at least {@link #NEAR_DUPLICATE} similar to the hypothesis, most similar first. */
    public static List<Match> nearDuplicates(String hypothesis, List<Text> candidates, int limit) {
        return nearDuplicates(hypothesis, candidates, limit, AFRESH);
    }

    /**
     * The same, each candidate's tokens from {@code tokensOf} (a claim's are kept between
     * claims: texts do not change, and reading a thousand of up to 16 KiB afresh was most of its cost).
     */
    public static List<Match> nearDuplicates(String hypothesis, List<Text> candidates, int limit,
            TokenSource tokensOf) {
        Tokens mine = hashed(hypothesis);
        if (mine.size() == 0) {
            return List.of();
        }
        List<Match> matches = new ArrayList<>();
        // A text of more than twice the hypothesis's words is less than half similar, however many
        // it shares (|A ∪ B| >= |B| > 2|A| >= 2|A ∩ B|): its reading may stop there, so a short
        // hypothesis is not compared word by word with every 16 KiB description.
        int most = mine.size() > Integer.MAX_VALUE / 2 ? Integer.MAX_VALUE : 2 * mine.size();
        for (Text t : candidates) {
            Tokens theirs = tokensOf.of(t, most);
            if (theirs.size() > most) {
                continue;
            }
            double s = jaccard(mine, theirs);
            if (s >= NEAR_DUPLICATE) {
                matches.add(new Match(t, s));
            }
        }
        matches.sort(Comparator.comparingDouble(Match::similarity).reversed());
        return matches.subList(0, Math.min(limit, matches.size()));
    }
}
