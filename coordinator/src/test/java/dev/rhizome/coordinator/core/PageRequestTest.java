package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Page parameters and cursors: what a client may send, and the 400s for everything else. */
class PageRequestTest {
    @Test
    void limitDefaultsTo100AndAcceptsOneTo1000() {
        assertThat(PageRequest.parse("audit", 1, "", "").limit()).isEqualTo(100);
        assertThat(PageRequest.parse("audit", 1, "1", "").limit()).isEqualTo(1);
        assertThat(PageRequest.parse("audit", 1, "1000", "").limit()).isEqualTo(1000);
        assertThat(PageRequest.parse("audit", 1, "", "").after()).isEmpty();
        for (String bad : List.of("0", "1001", "-3", "x", "1.5", "+7", "0x10", "12345678901234567890")) {
            assertThatThrownBy(() -> PageRequest.parse("audit", 1, bad, "")).isInstanceOf(Rejection.class)
                    .hasMessageContaining("query parameter limit must be a whole number from 1 to 1000");
        }
        assertThatThrownBy(() -> PageRequest.parse("audit", 1, " 5", "")).as("?limit=+5, decoded")
                .hasMessageContaining("got ' 5' (a '+' in a query string is a space: send the digits alone)");
        assertThatThrownBy(() -> PageRequest.parse("audit", 1, "x", "")).message().doesNotContain("'+'");
    }

    @Test
    void aCursorReadsBackOnlyOnItsOwnList() {
        String text = Cursor.of("adoptions", 5, 1700000000000L, "lr-sweep", "ab12").encode();
        assertThat(text).matches("[A-Za-z0-9_-]+");
        Cursor c = PageRequest.parse("adoptions", 4, "10", text).after().orElseThrow();
        assertThat(c.number(0)).isEqualTo(5);
        assertThat(c.number(1)).isEqualTo(1700000000000L);
        assertThat(c.text(2)).isEqualTo("lr-sweep");
        assertThat(c.text(3)).isEqualTo("ab12");
        assertThatThrownBy(() -> PageRequest.parse("audit", 1, "", text))
                .hasMessageContaining("query parameter after is a cursor of another list");
        assertThatThrownBy(() -> PageRequest.parse("adoptions", 4, "", "%%%"))
                .hasMessageContaining("query parameter after is not base64url");
        assertThatThrownBy(() -> PageRequest.parse("audit", 1, "", Cursor.of("audit", "seven").encode()).after()
                .orElseThrow().number(0)).hasMessageContaining("query parameter after is not a cursor of this list");
        for (String forged : new String[] {"+7", "\u0667", "07", "-0", "07 ", " 7", "0x7", "7L"}) {
            // Long.parseLong read "+7" and Arabic-Indic "\u0667" as 7: another spelling of a real position
            assertThatThrownBy(() -> PageRequest.parse("audit", 1, "", Cursor.of("audit", forged).encode()).after()
                    .orElseThrow().number(0)).as(forged).hasMessageContaining("query parameter after is not a cursor of this list");
        }
        assertThat(PageRequest.parse("audit", 1, "", Cursor.of("audit", -7L).encode()).after().orElseThrow().number(0))
                .isEqualTo(-7L);
        assertThatThrownBy(() -> PageRequest.parse("audit", 1, "", "A".repeat(5000)))
                .hasMessageContaining("longer than any cursor");
    }
}
