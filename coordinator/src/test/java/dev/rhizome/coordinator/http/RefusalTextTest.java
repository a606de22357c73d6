package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RefusalTextTest {
    @Test
    void aPrintableMessageIsSentAsWritten() {
        String message = "query parameter limit must be a whole number from 1 to 1000, got 'caf\u00e9 \ud83d\ude00'";
        assertThat(RefusalText.of(message)).isEqualTo(message);
    }

    @Test
    void controlsLineBreaksAndLoneSurrogatesAreShownAsEscapesAndPairsAreKept() {
        assertThat(RefusalText.of("a\nb\tc\u009bd\u202ee\ud800f\ud83d\ude00"))
                .isEqualTo("a\\u000ab\\u0009c\\u009bd\\u202ee\\ud800f\ud83d\ude00");
    }

    @Test
    void aLongMessageKeepsItsStartAndEndAndNeverSplitsAPair() {
        String emoji = "\ud83d\ude00";
        String message = "unknown field: " + (emoji + " ").repeat(5_000) + "; give each key once";
        String sent = RefusalText.of(message);
        assertThat(sent.length()).isLessThan(RefusalText.MAX_CHARS + 60);
        assertThat(sent).startsWith("unknown field: ").endsWith("; give each key once").contains("characters left out");
        assertThat(sent.codePoints().filter(c -> c >= 0xD800 && c <= 0xDFFF).count()).as("no half of a pair").isZero();
    }

    @Test
    void aLongRunWithoutSpacesIsCutToItsStartWithANoteNeverSplittingAPair() {
        // what a refusal quotes of its request (a query value, a path, a header) is at most a run of this
        assertThat(RefusalText.of("query parameter state must be OPEN, LEASED or DONE, got '" + "z".repeat(3_000) + "'"))
                .isEqualTo("query parameter state must be OPEN, LEASED or DONE, got '" + "z".repeat(59)
                        + "...(2942 more chars)");
        String word = "a".repeat(RefusalText.MAX_WORD_CHARS - 1);  // "/" and it: a run of the bound
        assertThat(RefusalText.of("no route /" + word)).as("a run of the bound is kept").isEqualTo("no route /" + word);
        String sent = RefusalText.of("got a" + "\ud83d\ude00".repeat(100) + " then more");
        assertThat(sent).endsWith(" more chars) then more");
        assertThat(sent.codePoints().filter(c -> c >= 0xD800 && c <= 0xDFFF).count()).as("no half of a pair").isZero();
    }
}
