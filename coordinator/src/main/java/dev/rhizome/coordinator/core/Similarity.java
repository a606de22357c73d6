package dev.rhizome.coordinator.core;

import java.util.ArrayList;
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

    private static final Set<String> STOP_WORDS = Set.of("a", "an", "the", "to", "of", "in", "on", "and", "or",
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

    public static Set<String> tokens(String text) {
        Set<String> tokens = new HashSet<>();
        for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}._]+")) {
            String token = t.replaceAll("^[._]+|[._]+$", "");
            if (!token.isEmpty() && !STOP_WORDS.contains(token)) {
                tokens.add(token);
            }
        }
        return tokens;
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
        Set<String> mine = tokens(hypothesis);
        if (mine.isEmpty()) {
            return List.of();
        }
        List<Match> matches = new ArrayList<>();
        for (Text t : candidates) {
            double s = jaccard(mine, tokens(t.text()));
            if (s >= NEAR_DUPLICATE) {
                matches.add(new Match(t, s));
            }
        }
        matches.sort(Comparator.comparingDouble(Match::similarity).reversed());
        return matches.subList(0, Math.min(limit, matches.size()));
    }
}
