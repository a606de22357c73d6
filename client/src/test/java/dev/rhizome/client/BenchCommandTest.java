package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A benchmark's settings out of range are refused before anything starts, naming the flag and the value. */
class BenchCommandTest {
    private record Refusal(int code, String err) {
    }

    private static Refusal run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        cli.getErr().flush();
        return new Refusal(code, err.toString());
    }

    @Test
    void gossipSettingsOutOfRangeNameTheFlag() {
        assertThat(run("bench", "gossip", "--nodes", "5", "--degree", "9"))
                .isEqualTo(new Refusal(ExitCodes.USAGE, "rhizome: invalid value '9' for --degree: expected a whole number"
                        + " from 1 to 4 (below --nodes, 5) (see `rhizome bench gossip --help`)\n"));
        assertThat(run("bench", "gossip", "--bundle-bytes", "0").err()).contains("--bundle-bytes").contains("'0'");
        assertThat(run("bench", "gossip", "--range-holders", "1").err()).contains("invalid value '1' for --range-holders");
        assertThat(run("bench", "gossip", "--upload-mibps", "-2").err()).contains("--upload-mibps");
        assertThat(run("bench", "gossip", "--warmup-bundles", "-1").err()).contains("--warmup-bundles");
        assertThat(run("bench", "gossip", "--simulate", "--nodes", "1"))
                .isEqualTo(new Refusal(ExitCodes.USAGE, "rhizome: invalid value '1' for --nodes: expected a whole number from 2"
                        + " (see `rhizome bench gossip --help`)\n"));
    }

    @Test
    void otherBenchmarksRefuseBadSettingsTheSameWay() {
        Refusal soak = run("bench", "soak", "--duration", "5x");
        assertThat(soak.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(soak.err()).contains("--duration").contains("'5x'");
        Refusal node = run("bench", "node", "--jobs", "0");
        assertThat(node.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(node.err()).contains("--jobs").contains("'0'");
        Refusal repack = run("bench", "repack", "--packs", "0");
        assertThat(repack.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(repack.err()).contains("--packs").contains("'0'");
        // checked before the coordinator starts, as `rhizome coordinator --store` is
        Refusal store = run("bench", "coordinator", "--store", "postgresql://u:secret@127.0.0.1:1/db?typo=1");
        assertThat(store.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(store.err()).contains("--store").contains("unknown parameter 'typo'").doesNotContain("secret");
        Refusal schema = run("bench", "coordinator", "--store", "postgresql://u@127.0.0.1:1/db?schema=mine");
        assertThat(schema.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(schema.err()).contains("--store").contains("fresh schema of its own");
        Refusal none = run("bench");
        assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
        // the words every group gives when run without its command (`rhizome seed` said "Missing required subcommand")
        assertThat(none.err()).contains("`rhizome bench` needs a command: gossip, coordinator, soak, node, repack");
        assertThat(run("seed").err()).contains("`rhizome seed` needs a command: publish, list");
    }
}
