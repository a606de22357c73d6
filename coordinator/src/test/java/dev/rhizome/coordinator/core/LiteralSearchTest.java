package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link LiteralSearch} answers as {@link String#contains} does, on texts made to nearly match. */
class LiteralSearchTest {
    @Test
    void answersAsContainsOnTextsOfFewLetters() {
        Random random = new Random(23);
        for (int i = 0; i < 20_000; i++) {
            // two or three letters: every prefix of the word recurs, so the fallbacks are exercised
            String letters = random.nextBoolean() ? "ab" : "abc";
            String text = word(random, letters, random.nextInt(40));
            String word = random.nextInt(4) == 0 && text.length() > 0
                    ? text.substring(random.nextInt(text.length()))  // a suffix: present
                    : word(random, letters, 1 + random.nextInt(8));
            assertThat(LiteralSearch.contains(text, word)).as("'%s' in '%s'", word, text).isEqualTo(text.contains(word));
        }
    }

    @Test
    void edgesAsContains() {
        assertThat(LiteralSearch.contains("", "")).isTrue();
        assertThat(LiteralSearch.contains("abc", "")).isTrue();
        assertThat(LiteralSearch.contains("", "a")).isFalse();
        assertThat(LiteralSearch.contains("ab", "abc")).isFalse();
        assertThat(LiteralSearch.contains("aabaabaaab", "aaab")).isTrue();
        assertThat(LiteralSearch.contains("caf\u00e9 \ud83d\ude00", "\ud83d\ude00")).isTrue();
        assertThat(LiteralSearch.contains("a".repeat(65_536), "a".repeat(999) + "b")).isFalse();
    }

    private static String word(Random random, String letters, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append(letters.charAt(random.nextInt(letters.length())));
        }
        return b.toString();
    }
}
