package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobTextTest {
    @Test
    void escapesOverwritesAndReorderingBecomeQuestionMarks() {
        // OSC 52 (set the clipboard), clear screen, carriage return, right-to-left override, DEL, C1 CSI
        String line = "step 1 \u001b]52;c;cm0gLXJmIH4K\u0007\u001b[2J\rnode ok \u202Egnp.exe\u007f\u009b1m\tloss 2.5 \u00e9\u4e2d";

        assertThat(JobText.printable(line, 200))
                .isEqualTo("step 1 ?]52;c;cm0gLXJmIH4K??[2J?node ok ?gnp.exe?\u0000".replace("\u0000", "?1m loss 2.5 \u00e9\u4e2d"));
    }

    @Test
    void longTextIsCut() {
        assertThat(JobText.printable("x".repeat(500), 10)).isEqualTo("xxxxxxxxxx...");
        assertThat(JobText.printable("short", 10)).isEqualTo("short");
    }
}
