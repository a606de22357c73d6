package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second pass as a new user, from the README alone: what was still confusing after the first
 * (NewUserTest). A misspelt command, a value given without its flag, a data directory or key file
 * that is not what it should be, and `submit` run twice in one workspace each say what is wrong.
 */
class SecondLookTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static void assertFailure(CliRun run, int code, String error, String inMessage) {
        assertThat(run.code()).as(run.err()).isEqualTo(code);
        JsonObject o = run.json();
        assertThat(o.get("error").getAsString()).isEqualTo(error);
        assertThat(o.get("message").getAsString()).contains(inMessage).doesNotContain("Exception");
        assertThat(o.get("hint").getAsString()).isNotBlank();
    }

    @Test
    void aMisspeltCommandIsNamedWithTheCommandsThereAre() {
        CliRun top = run("breif", "--json");
        assertFailure(top, ExitCodes.USAGE, "usage", "'breif' is not a command of `rhizome`");
        assertThat(top.json().get("message").getAsString()).contains("brief").doesNotContain("Unmatched");

        CliRun sub = run("seed", "publsh", "--json");
        assertFailure(sub, ExitCodes.USAGE, "usage", "'publsh' is not a command of `rhizome seed`");
        assertThat(sub.json().get("message").getAsString()).contains("publish, list");
    }

    @Test
    void aValueWithoutItsFlagSaysTheCommandTakesOptions() {
        CliRun claim = run("claim", "lr", "--json");
        assertFailure(claim, ExitCodes.USAGE, "usage", "unexpected argument 'lr'");
        assertThat(claim.json().get("message").getAsString()).contains("options only");
        assertThat(claim.json().get("hint").getAsString()).startsWith("did you mean `--direction lr`");
        CliRun verify = run("verify", "--json");
        assertFailure(verify, ExitCodes.USAGE, "usage", "`rhizome verify` needs FILE");
    }

    @Test
    void aDataDirectoryThatIsAFileOrAKeyThatIsNoKeyIsSaidSo() throws Exception {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        // a bad argument, as every path named on the command line (PathArgumentsTest): it was exit 1
        assertFailure(run("id", "--json", "--data-dir", file.toString()), ExitCodes.USAGE, "usage",
                "is a file, not a directory");

        Path data = Files.createDirectories(dir.resolve("data"));
        Path key = data.resolve(IdentityStore.FILE_NAME);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(key, new byte[] {(byte) 0xc3, 0x28, 1, 2, 3});
        CliRun garbage = run("id", "--json", "--data-dir", data.toString());
        assertFailure(garbage, ExitCodes.FAILED, "unusable_key", "not a rhizome identity key");
        assertThat(garbage.json().get("message").getAsString()).contains(key.toString()).doesNotContain("UTF-8");
    }

    @Test
    void submittingAUnitTwiceSaysItWasSubmittedNotToClaimIt() throws Exception {
        WorkUnit unit = WorkUnit.newBuilder().setId("u-1").setDirection("lr").build();
        ClaimFiles.save(dir, unit);
        ClaimFiles.remove(dir, unit, List.of("53b56064549548b74b75b2ed966d82f9100022d0"));

        assertThatThrownBy(() -> ClaimFiles.load(dir, "u-1"))
                .isInstanceOfSatisfying(CommandException.class, e -> {
                    assertThat(e.error()).isEqualTo("already_submitted");
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                    assertThat(e.getMessage()).contains("already submitted").contains("53b5606454");
                    assertThat(e.hint()).contains("--from 53b56064549548b74b75b2ed966d82f9100022d0")
                            .contains("--direction lr");  // it said "--direction D"
                });
        // a unit given back with nothing leaves no such note: "claim it first" stays true there
        ClaimFiles.save(dir, unit.toBuilder().setId("u-2").build());
        ClaimFiles.remove(dir, unit.toBuilder().setId("u-2").build(), List.of());
        assertThatThrownBy(() -> ClaimFiles.load(dir, "u-2")).hasMessageContaining("no claim of unit u-2");
    }

    @Test
    void aSeedDirectoryWithoutItsManifestIsNamed() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("myseed"));
        CliRun publish = run("seed", "publish", "--json", "--dir", empty.toString(), "--data-dir", dir.resolve("n").toString(),
                "--coordinator", "http://127.0.0.1:1");
        assertFailure(publish, ExitCodes.FAILED, "failed", empty + " has no rhizome.json");
    }

    @Test
    void banTakesTheKeyAsTheJsonOfResultsShowsIt() {
        Identity key = Identity.generate();
        String base64 = Base64.getEncoder().encodeToString(key.publicId().toByteString().toByteArray());
        // refused only by the coordinator (nothing listens on port 1): the key itself was understood
        CliRun ban = run("ban", "--json", "--key", base64, "--data-dir", dir.resolve("op").toString(),
                "--coordinator", "http://127.0.0.1:1");
        assertFailure(ban, ExitCodes.UNREACHABLE, "unreachable", "connection refused");

        CliRun bad = run("ban", "--json", "--key", "not-a-key", "--data-dir", dir.resolve("op").toString(),
                "--coordinator", "http://127.0.0.1:1");
        assertFailure(bad, ExitCodes.USAGE, "usage", "64 hex digits");
        assertThat(bad.json().get("hint").getAsString()).contains("runner_id");
    }
}
