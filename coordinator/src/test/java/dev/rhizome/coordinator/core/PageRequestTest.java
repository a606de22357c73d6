package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Page parameters and cursors: what a client may send, and the 400s for everything else. */
class PageRequestTest {
    private static final List<Cursor.Field> AUDIT = List.of(Cursor.Field.POSITION);
    private static final List<Cursor.Field> ADOPTIONS = List.of(Cursor.Field.POSITION, Cursor.Field.POSITION,
            Cursor.Field.NAME, Cursor.Field.COMMIT);
    private static final List<Cursor.Field> UNITS = List.of(Cursor.Field.SIGNED_POSITION);
    private static final String COMMIT = "ab12".repeat(10);

    @Test
    void limitDefaultsTo100AndAcceptsOneTo1000() {
        assertThat(PageRequest.parse("audit", AUDIT, "", "").limit()).isEqualTo(100);
        assertThat(PageRequest.parse("audit", AUDIT, "1", "").limit()).isEqualTo(1);
        assertThat(PageRequest.parse("audit", AUDIT, "1000", "").limit()).isEqualTo(1000);
        assertThat(PageRequest.parse("audit", AUDIT, "", "").after()).isEmpty();
        for (String bad : List.of("0", "1001", "-3", "x", "1.5", "+7", "0x10", "12345678901234567890")) {
            assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, bad, "")).isInstanceOf(Rejection.class)
                    .hasMessageContaining("query parameter limit must be a whole number from 1 to 1000");
        }
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, " 5", "")).as("?limit=+5, decoded")
                .hasMessageContaining("got ' 5' (a '+' in a query string is a space: send the digits alone)");
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "x", "")).message().doesNotContain("'+'");
    }

    @Test
    void aCursorReadsBackOnlyOnItsOwnList() {
        String text = Cursor.of("adoptions", 5, 1700000000000L, "lr-sweep", COMMIT).encode();
        assertThat(text).matches("[A-Za-z0-9_-]+");
        Cursor c = PageRequest.parse("adoptions", ADOPTIONS, "10", text).after().orElseThrow();
        assertThat(c.number(0)).isEqualTo(5);
        assertThat(c.number(1)).isEqualTo(1700000000000L);
        assertThat(c.text(2)).isEqualTo("lr-sweep");
        assertThat(c.text(3)).isEqualTo(COMMIT);
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", text))
                .hasMessageContaining("query parameter after is a cursor of another list");
        assertThatThrownBy(() -> PageRequest.parse("adoptions", ADOPTIONS, "", "%%%"))
                .hasMessageContaining("query parameter after is not base64url");
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", Cursor.of("audit", "seven").encode()))
                .hasMessageContaining("query parameter after is not a cursor of this list (part 1 must be a whole number");
        for (String forged : new String[] {"+7", "\u0667", "07", "-0", "07 ", " 7", "0x7", "7L"}) {
            // Long.parseLong read "+7" and Arabic-Indic "\u0667" as 7: another spelling of a real position
            assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", Cursor.of("audit", forged).encode()))
                    .as(forged).hasMessageContaining("query parameter after is not a cursor of this list");
        }
        // a position is never negative: "c1|audit|-1" was served as the first page
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", Cursor.of("audit", -1L).encode()))
                .hasMessageContaining("part 1 must be a whole number from 0 to 9223372036854775807");
        // but a unit queued ahead has a negative place in claim order
        assertThat(PageRequest.parse("units", UNITS, "", Cursor.of("units", -7L).encode()).after().orElseThrow().number(0))
                .isEqualTo(-7L);
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", "A".repeat(5000)))
                .hasMessageContaining("longer than any cursor");
    }

    @Test
    void aCursorIsReadOnlyInTheSpellingItWasWrittenIn() {
        String text = Cursor.of("audit", 5).encode();
        assertThat(PageRequest.parse("audit", AUDIT, "", text).after().orElseThrow().number(0)).isEqualTo(5);
        assertThat(text.length() % 4).as("the test below needs a last character with stray bits").isNotZero();
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", text + "=".repeat(4 - text.length() % 4)))
                .hasMessageContaining("not base64url as this coordinator writes it");
        char last = text.charAt(text.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        String stray = text.substring(0, text.length() - 1) + alphabet.charAt(alphabet.indexOf(last) | 1);
        assertThat(stray).isNotEqualTo(text);
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", stray))
                .hasMessageContaining("not base64url as this coordinator writes it");
        String percent = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("c1|audit|%35".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", percent)).as("'5' percent-encoded")
                .hasMessageContaining("is not a cursor of this list");
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", Cursor.of("audit", 5, 6).encode()))
                .hasMessageContaining("it has 2 parts, this list's have 1");
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", Cursor.of("audit", "99999999999999999999").encode()))
                .hasMessageContaining("part 1 must be a whole number");
        byte[] notUtf8 = {'c', '1', '|', 'a', 'u', 'd', 'i', 't', '|', '5', (byte) 0xc3};
        assertThatThrownBy(() -> PageRequest.parse("audit", AUDIT, "", java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(notUtf8))).hasMessageContaining("not UTF-8 text");
        assertThatThrownBy(() -> PageRequest.parse("adoptions", ADOPTIONS, "", Cursor.of("adoptions", 1, 2, "lr-sweep",
                "ab12").encode())).hasMessageContaining("part 4 must be a 40-hex-digit commit id");
        assertThatThrownBy(() -> PageRequest.parse("adoptions", ADOPTIONS, "", Cursor.of("adoptions", 1, 2, "lr sweep",
                COMMIT).encode())).hasMessageContaining("part 3 must be a name");
    }
}
