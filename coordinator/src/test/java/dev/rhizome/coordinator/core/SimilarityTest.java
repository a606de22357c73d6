package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SimilarityTest {
    @Test
    void tokensIgnoreCasePunctuationAndStopWordsButKeepNumbers() {
        assertThat(Similarity.tokens("Lower the learning-rate to 0.002, with warmup."))
                .isEqualTo(Set.of("lower", "learning", "rate", "0.002", "warmup"));
    }

    /**
     * The one-pass reading gives the tokens the rule's regular expressions give (split on runs of
     * anything but letters, numbers, dots and underscores; dots and underscores trimmed), on
     * random text of every plane: letters, numbers of every kind, surrogates alone, case that
     * lengthens when lowered.
     */
    @Test
    void tokensAreThoseOfTheSplittingRuleOnAnyText() {
        String[] edges = {"", "...", "_a_.b_", "x.y..z", "ÀÉ ǅ Ⅻ ½ ٣ 𝟙 𝐀bc", "İstanbul", "a\u0301b", "😀x😀",
            "\uD800 lone \uDC00", "ß ẞ", "The. _to_ A"};
        for (String text : edges) {
            assertThat(Similarity.tokens(text)).as(text).isEqualTo(byTheRule(text));
        }
        Random random = new Random(24);
        for (int k = 0; k < 20_000; k++) {
            StringBuilder text = new StringBuilder();
            for (int j = random.nextInt(24); j > 0; j--) {
                text.appendCodePoint(random.nextInt(4) == 0 ? random.nextInt(0x30000) : " ._aB1\t,".charAt(random.nextInt(8)));
            }
            assertThat(Similarity.tokens(text.toString())).as("%s", text.codePoints().mapToObj(Integer::toHexString).toList())
                    .isEqualTo(byTheRule(text.toString()));
        }
    }

    /**
     * A text read only up to twice the hypothesis's words is never one that would have matched:
     * the matches are those of comparing every text whole, on random texts of many lengths.
     */
    @Test
    void textsReadOnlyInPartAreNeverMatchesMissed() {
        Random random = new Random(2024);
        for (int k = 0; k < 300; k++) {
            String hypothesis = words(random, 1 + random.nextInt(12));
            List<Similarity.Text> candidates = new ArrayList<>();
            for (int j = 0; j < 20; j++) {
                candidates.add(new Similarity.Text("experiment", words(random, 1 + random.nextInt(40)), "c" + j, j));
            }
            Set<String> mine = Similarity.tokens(hypothesis);
            List<Similarity.Text> whole = candidates.stream()
                    .filter(t -> Similarity.jaccard(mine, Similarity.tokens(t.text())) >= Similarity.NEAR_DUPLICATE).toList();
            assertThat(Similarity.nearDuplicates(hypothesis, candidates, 20)).extracting(Similarity.Match::text)
                    .as(hypothesis).containsExactlyInAnyOrderElementsOf(whole);
        }
        assertThat(Similarity.tokens("a1 b2 c3 d4 e5 f6", 3)).as("stopped past 3").hasSize(4);
    }

    /** The hashed tokens a claim keeps measure what the sets of words measure. */
    @Test
    void hashedTokensMeasureWhatTheWordsDo() {
        Random random = new Random(7);
        for (int k = 0; k < 300; k++) {
            String a = words(random, random.nextInt(30));
            String b = words(random, random.nextInt(30));
            assertThat(Similarity.jaccard(Similarity.hashed(a), Similarity.hashed(b))).as("%s / %s", a, b)
                    .isEqualTo(Similarity.jaccard(Similarity.tokens(a), Similarity.tokens(b)));
            assertThat(Similarity.hashed(a).size()).isEqualTo(Similarity.tokens(a).size());
        }
    }

    /** {@code count} words drawn from a small vocabulary, so that texts often share most of them. */
    private static String words(Random random, int count) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append("w").append(random.nextInt(16)).append(' ');
        }
        return text.toString();
    }

    private static Set<String> byTheRule(String text) {
        Set<String> tokens = new HashSet<>();
        for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}._]+")) {
            String token = t.replaceAll("^[._]+|[._]+$", "");
            if (!token.isEmpty() && !Similarity.STOP_WORDS.contains(token)) {
                tokens.add(token);
            }
        }
        return tokens;
    }

    @Test
    void jaccardIsTheSharedFractionOfTheUnion() {
        assertThat(Similarity.jaccard(Set.of("a", "b", "c"), Set.of("b", "c", "d"))).isEqualTo(0.5);
        assertThat(Similarity.jaccard(Set.of(), Set.of())).isZero();
    }

    @Test
    void nearDuplicatesAreThoseAtTheThresholdMostSimilarFirst() {
        Similarity.Text same = new Similarity.Text("hypothesis", "lower learning rate to 0.002", "", 1);
        Similarity.Text close = new Similarity.Text("experiment", "learning rate 0.002 with warmup", "c", 2);
        Similarity.Text far = new Similarity.Text("experiment", "double the embedding width", "d", 3);
        List<Similarity.Match> matches = Similarity.nearDuplicates("Lower the learning rate to 0.002",
                List.of(far, close, same), 5);
        assertThat(matches).extracting(Similarity.Match::text).containsExactly(same, close);
        assertThat(matches.get(0).similarity()).isEqualTo(1.0);
        assertThat(Similarity.nearDuplicates("   ", List.of(same), 5)).isEmpty();
    }
}
