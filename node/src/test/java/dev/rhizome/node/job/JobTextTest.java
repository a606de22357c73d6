package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.Printable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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

    /**
     * Round 36: a failure met while running a job names what the job chose (a file of its tree), and the node logged
     * such failures whole. Shown, each message of the chain (cause and suppressed too) is printable and cut, and the
     * stack trace is the original's.
     */
    @Test
    void aFailureNamingAJobsFileIsLoggedPrintableWithItsStack() {
        String name = "/w/\u001b]52;c;cm0gLXJmIH4K\u0007\u001b[2J\r12:00:00 INFO all is well\n\u202Egnp.exe";
        IOException cause = new IOException("cannot delete " + name);
        UncheckedIOException failure = new UncheckedIOException("deleting the job's tree " + name + "x".repeat(5000), cause);
        failure.addSuppressed(new IllegalStateException(name));

        Throwable shown = JobText.loggable(failure);
        StringWriter printed = new StringWriter();
        shown.printStackTrace(new PrintWriter(printed));

        assertThat(Printable.firstUnsafe(printed.toString().replace("\n", "").replace("\t", ""))).as(printed.toString())
                .isEqualTo(-1);
        assertThat(printed.toString()).doesNotContain("\n12:00:00 INFO")
                .contains("java.io.UncheckedIOException: deleting the job's tree /w/?]52;c;cm0gLXJmIH4K??[2J?12:00:00 INFO all is well??gnp.exe",
                        "Caused by: java.io.IOException: cannot delete /w/?", "Suppressed: java.lang.IllegalStateException: /w/?");
        assertThat(shown.getMessage()).hasSize(JobText.MAX_MESSAGE_CHARS + 3).endsWith("...");
        assertThat(shown.getStackTrace()).isEqualTo(failure.getStackTrace());
        assertThat(shown.getCause().getStackTrace()).isEqualTo(cause.getStackTrace());
    }

    @Test
    void aChainOfCausesWithoutEndIsFollowedABoundedWay() {
        IOException a = new IOException("a");
        IOException b = new IOException("b", a);
        a.initCause(b); // a loop: a -> b -> a

        Throwable shown = JobText.loggable(a);
        int depth = 0;
        for (Throwable t = shown; t != null; t = t.getCause()) {
            depth++;
        }
        assertThat(depth).isBetween(2, 9);
    }
}
