package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.proto.v1.Seed;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit id copied by hand with one slip (user27b, on loopback: `wait --commit b3394104` for
 * b33941039d) was told only "no registered commit starts with b3394104" and to list the tree; the
 * commit it meant is now offered in the hint, for a prefix and for a whole id alike, and an id
 * nothing is near offers nothing. Its tree command names the direction where the coordinator has
 * only one, rather than `--direction D`.
 */
class CommitTypoTest {
    @TempDir
    Path dir;

    @Test
    void aMistypedCommitIsOfferedTheRegisteredOneItWasASlipFrom() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "d");
            String commit = OpenDirections.register(operator, seed, "d", "raise the learning rate");

            // a digit dropped from the first nine: the rest moved one place
            String dropped = commit.substring(0, 4) + commit.substring(5, 9);
            JsonObject prefix = CliRun.at(url, agent, "wait", "--commit", dropped, "--timeout", "0", "--json")
                    .failure(ExitCodes.USAGE, "unknown_commit", dropped);
            assertThat(prefix.get("hint").getAsString()).startsWith("did you mean " + commit.substring(0, 10) + "?");
            assertThat(prefix.get("option").getAsString()).isEqualTo("--commit");

            // a whole id with one digit changed, where a full id is taken as given and then checked
            String changed = commit.substring(0, 20) + flip(commit.charAt(20)) + commit.substring(21);
            for (String command : new String[] {"results", "papers"}) {
                JsonObject whole = CliRun.at(url, agent, command, "--commit", changed, "--json")
                        .failure(ExitCodes.USAGE, "unknown_commit", changed);
                assertThat(whole.get("hint").getAsString()).as(command).startsWith("did you mean " + commit + "?");
            }

            // nothing near: no guess, only where to look
            String far = flip(commit.charAt(0)) + "" + flip(commit.charAt(1)) + flip(commit.charAt(2)) + flip(commit.charAt(3));
            JsonObject none = CliRun.at(url, agent, "wait", "--commit", far, "--timeout", "0", "--json")
                    .failure(ExitCodes.USAGE, "unknown_commit", far);
            // and, with no --direction given, the tree of the coordinator's one direction, not `--direction D`
            assertThat(none.get("hint").getAsString()).doesNotContain("did you mean")
                    .contains("`rhizome tree --direction d --data-dir " + Shell.quote(agent) + " --coordinator " + url + "`");
        }
    }

    private static char flip(char hex) {
        return hex == '0' ? '1' : '0';
    }
}
