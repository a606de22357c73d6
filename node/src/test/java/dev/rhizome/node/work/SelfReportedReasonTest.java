package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-command seed's (autoresearch's own train.py) failed run reaches the network with its
 * reason, as a harnessed seed's does: the result said CRASH and nothing else, and the proposer,
 * reading it with `rhizome log` or `submit --wait`, could not tell a bug from a machine's fault.
 */
class SelfReportedReasonTest {
    private static final String TRAIN = """
            import sys
            print('step 1/10 loss 3.2')
            x = 1 / 0
            """;

    @TempDir
    Path dir;

    @Test
    void aCrashedSelfReportedRunCarriesItsExitAndItsTraceback() throws Exception {
        Result r = SingleCommandSeed.evaluate(dir, TRAIN);

        assertThat(r.getStatus()).isEqualTo(Result.Status.CRASH);
        assertThat(r.getMeasuredBy()).isEqualTo(Result.Measurement.SELF_REPORTED);
        assertThat(r.getReason()).startsWith("exited with status 1; its standard error's last lines: ")
                .contains("x = 1 / 0").endsWith("ZeroDivisionError: division by zero; its standard output's last lines: "
                        + "step 1/10 loss 3.2");
    }
}
