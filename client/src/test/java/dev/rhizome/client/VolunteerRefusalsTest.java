package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a volunteer meets writing `rhizome node`'s preferences and flags as a newcomer would: a
 * true|false preference spelt yes or no, and a --host that is not this machine's. Each is refused
 * before the node starts (no sandbox trial, no data directory made), named as the option, in the
 * words every refused value has, and as the error object under --json.
 */
class VolunteerRefusalsTest {
    @TempDir
    Path dir;

    private static JsonObject errorObject(CliRun run) {
        String line = run.out().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
        return JsonParser.parseString(line).getAsJsonObject();
    }

    @Test
    void aTrueOrFalsePreferenceSpeltYesIsRefusedAsTrueOrFalseFromTheFileAndTheCommandLine() throws Exception {
        Path data = dir.resolve("node");
        Files.createDirectories(data);
        // picocli's own words were "expected 'yes' is not a boolean"
        Files.writeString(data.resolve("node.properties"), "idle-only=yes\n");
        CliRun fromFile = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(fromFile.code()).as(fromFile.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(fromFile.err()).contains("node.properties: invalid value 'yes' for --idle-only: expected true or "
                + "false (or nothing: --idle-only alone is true)").doesNotContain("is not a boolean");

        Files.delete(data.resolve("node.properties"));
        CliRun typed = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1",
                "--prefetch=no", "--json");
        assertThat(typed.code()).as(typed.err()).isEqualTo(ExitCodes.USAGE);
        JsonObject error = errorObject(typed);
        assertThat(error.get("option").getAsString()).isEqualTo("--prefetch");
        assertThat(error.get("message").getAsString())
                .isEqualTo("invalid value 'no' for --prefetch: expected true or false (or nothing: --prefetch alone is true)");
        // the space-separated form already read so; both forms now say the same
        CliRun spaced = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1",
                "--idle-only", "yes");
        assertThat(spaced.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(spaced.err()).contains("invalid value 'yes' for --idle-only: expected true or false (or nothing: "
                + "--idle-only alone is true)");
    }

    @Test
    void aHostThatIsNotThisMachinesIsRefusedAsHostBeforeTheNodeStarts() {
        Path data = dir.resolve("node");
        // a name that does not resolve was "null", named --data-dir, after the node had begun to start
        CliRun unresolved = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1",
                "--cpu-jobs", "0", "--gpus", "none", "--host", "no-such-host.invalid", "--json");
        assertThat(unresolved.code()).as(unresolved.err()).isEqualTo(ExitCodes.USAGE);
        JsonObject error = errorObject(unresolved);
        assertThat(error.get("option").getAsString()).isEqualTo("--host");
        assertThat(error.get("message").getAsString()).contains("no-such-host.invalid").contains("does not resolve");

        // an address of another machine (TEST-NET-1, never assigned) failed its bind with no option,
        // advising 0.0.0.0, which --host refuses
        CliRun elsewhere = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1",
                "--cpu-jobs", "0", "--gpus", "none", "--host", "192.0.2.1", "--json");
        assertThat(elsewhere.code()).as(elsewhere.err()).isEqualTo(ExitCodes.USAGE);
        JsonObject other = errorObject(elsewhere);
        assertThat(other.get("option").getAsString()).isEqualTo("--host");
        assertThat(other.get("message").getAsString()).contains("192.0.2.1").contains("not an address of this machine");
        assertThat(other.get("hint").getAsString()).doesNotContain("0.0.0.0");
        assertThat(data).as("a refused start leaves no data directory behind").doesNotExist();
    }

    @Test
    void anAnnouncedAddressPeersCouldNotDialIsRefusedAsAnnounceFromTheCommandLineAndTheFile() throws Exception {
        Path data = dir.resolve("node");
        // each was announced as given: the coordinator and every peer dropped it, and the node never said why
        for (String bad : List.of("203.0.113.7", "0.0.0.0:7070", "203.0.113.7:0", "203.0.113.7:70000", "2001:db8::7:7070",
                "under_score.example:7070")) {
            CliRun run = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1",
                    "--cpu-jobs", "0", "--gpus", "none", "--announce", bad, "--json");
            assertThat(run.code()).as(bad + ": " + run.err()).isEqualTo(ExitCodes.USAGE);
            JsonObject error = errorObject(run);
            assertThat(error.get("option").getAsString()).isEqualTo("--announce");
            assertThat(error.get("message").getAsString()).as(bad)
                    .startsWith("invalid value '" + bad + "' for --announce: expected HOST:PORT where peers dial this node");
        }
        assertThat(errorObject(CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1",
                "--announce", "2001:db8::7:7070", "--json")).get("message").getAsString())
                .contains("brackets").contains("[2001:db8::7]:7070");
        assertThat(data).as("a refused start leaves no data directory behind").doesNotExist();

        Files.createDirectories(data);
        Files.writeString(data.resolve("node.properties"), "announce=0.0.0.0:7070\n");
        CliRun fromFile = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(fromFile.code()).as(fromFile.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(fromFile.err()).contains("node.properties: invalid value '0.0.0.0:7070' for --announce");
    }

    @Test
    void aCoordinatorUrlWithAMistypedSchemeIsOfferedTheHttpUrlItMeant() {
        // the scheme was kept: "did you mean http://htp:/127.0.0.1:7700 ?"
        CliRun typo = CliRun.of("node", "--data-dir", dir.resolve("node").toString(), "--coordinator",
                "htp:/127.0.0.1:7700");
        assertThat(typo.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(typo.err()).contains("invalid value 'htp:/127.0.0.1:7700' for --coordinator: expected "
                + "http://HOST:PORT (did you mean http://127.0.0.1:7700 ?)");
        CliRun bare = CliRun.of("node", "--data-dir", dir.resolve("node").toString(), "--coordinator", "127.0.0.1:7700");
        assertThat(bare.err()).contains("(did you mean http://127.0.0.1:7700 ?)");
    }
}
