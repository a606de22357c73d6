package dev.rhizome.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which characters of someone else's text reach a reader as they are. */
class PrintableTest {
    @Test
    void controlsBidiOverridesLoneSurrogatesAndNoncharactersAreUnsafe() {
        for (int c : new int[] {0x00, 0x1B, '\r', 0x7F, 0x9B, 0x202E, 0x2066, 0x2028, 0xD800, 0xFDD0, 0xFDEF, 0xFFFE,
                0xFFFF, 0x1FFFF, 0x10FFFF}) {
            assertThat(Printable.unsafe(c)).as("U+%04X", c).isTrue();
        }
    }

    @Test
    void textInAnyScriptTabsAndLineFeedsPass() {
        for (int c : new int[] {'a', '\t', '\n', 0xE9, 0x4E2D, 0xFDCF, 0xFDF0, 0xFFFD, 0x1F600}) {
            assertThat(Printable.unsafe(c)).as("U+%04X", c).isFalse();
        }
        assertThat(Printable.firstUnsafe("lr 3e-4 \u4e2d 😀")).isEqualTo(-1);
    }

    @Test
    void shownTextReplacesEachUnsafeCharacterOnce() {
        assertThat(Printable.shown("unknown direction \uffff\u001b[2J x")).isEqualTo("unknown direction ??[2J x");
        assertThat(Printable.firstUnsafe("ok \uffff")).isEqualTo(3);
    }
}
