package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.PathArguments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * One rule for every path named on the command line: a file or directory the command reads that
 * is not there, a data directory or workspace that is a file, a file to write that is a directory,
 * or a path to make under a file, is a bad argument (exit 2) naming the option and the path, on
 * every command (`claim --workspace /etc/passwd` was `workspace_not_empty`; `export --out DIR`
 * exit 1 with a temporary file's name). It was exit 2 for some (`coordinator --config`), exit 1 for
 * others (`verify`, `seed publish --dir`), and some found out only after taking a lease.
 */
class PathArgumentsTest {
    @TempDir
    Path dir;

    @Test
    void everyPathArgumentOfEveryCommandFollowsTheRule() throws Exception {
        Path missing = dir.resolve("no-such-thing");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path underAFile = file.resolve("sub");
        List<String> checked = new ArrayList<>();
        for (CommandSpec command : commands(Main.commandLine().getCommandSpec())) {
            for (ArgSpec arg : command.args()) {
                if (arg.type() != Path.class) {
                    continue;
                }
                String name = command.qualifiedName() + " " + (arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel());
                List<CommandLine.ITypeConverter<?>> converters = Arrays.asList(arg.converters());
                boolean reads = converters.stream().anyMatch(c -> c instanceof PathArguments.InputFile
                        || c instanceof PathArguments.InputFileOrStdin
                        || c instanceof PathArguments.InputDirectory);
                boolean keeps = converters.stream().anyMatch(c -> c instanceof PathArguments.DataDirectory
                        || c instanceof PathArguments.WorkspaceDirectory);
                boolean writes = converters.stream().anyMatch(c -> c instanceof PathArguments.OutputFile);
                assertThat(reads || keeps || writes).as(name + " takes a path but follows no rule of PathArguments").isTrue();
                // what is read must be there; a directory kept must not be a file; a file written
                // must not be a directory; and what is made must have a directory to be made in
                refused(command, arg, name, reads ? missing : keeps ? file : dir, reads ? "no such" : keeps ? "is a file" : "is a directory");
                if (!reads) {
                    refused(command, arg, name, underAFile, "cannot be made: " + file + " is a file");
                }
                checked.add(name);
            }
        }
        assertThat(checked).as("the commands a new user meets first").contains("rhizome verify FILE",
                "rhizome coordinator --config", "rhizome node --config", "rhizome seed publish --dir", "rhizome submit --paper",
                "rhizome publish --paper",
                "rhizome submit --workspace", "rhizome renew --workspace", "rhizome claim --data-dir",
                "rhizome node doctor --data-dir", "rhizome node status --data-dir", "rhizome agent --workspaces",
                "rhizome claim --workspace", "rhizome export --out", "rhizome coordinator backup --out");
    }

    /** The real command with {@code wrong} in the argument's place: exit 2, naming the option, the path and what is wrong. */
    private static void refused(CommandSpec command, ArgSpec arg, String name, Path wrong, String why) {
        CliRun run = CliRun.of(args(command, arg, wrong));
        assertThat(run.code()).as(name + ": " + run.out() + run.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).as(name).contains(wrong.toString()).contains(why).doesNotContain("Exception");
        if (arg instanceof OptionSpec o) {
            assertThat(run.err()).as(name).contains(o.longestName());
        }
        if (command.findOption("--json") != null) {
            JsonObject o = run.json();
            assertThat(o.get("error").getAsString()).as(name).isIn("usage", "no_paper");
            assertThat(o.get("message").getAsString()).as(name).contains(wrong.toString()).contains(why);
            assertThat(o.get("hint").getAsString()).as(name).contains("--help");
            if (arg instanceof OptionSpec opt) {
                assertThat(o.get("option").getAsString()).as(name).isEqualTo(opt.longestName());
            }
        }
    }

    @Test
    void aRelativePathIsShownAsTheAbsolutePathItWasLookedFor() {
        CliRun run = CliRun.of("verify", "surely-not-here.jsonl", "--json");
        JsonObject o = run.failure(ExitCodes.USAGE, "usage");
        assertThat(o.get("message").getAsString()).contains(Path.of("surely-not-here.jsonl").toAbsolutePath().toString());
        assertThat(o.get("hint").getAsString()).contains("current directory");
    }

    @Test
    void aKeyThatIsNotAKeyHasAHintNamingTheFileAndTheWayOut() throws Exception {
        // the hint was "fix what the message names and run the command again"
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("identity.key"), "garbage\n");
        Files.setPosixFilePermissions(data.resolve("identity.key"), PosixFilePermissions.fromString("rw-------"));
        JsonObject o = CliRun.of("id", "--json", "--data-dir", data.toString()).failure(ExitCodes.FAILED, "unusable_key");
        assertThat(o.get("message").getAsString()).contains("malformed");
        assertThat(o.get("hint").getAsString()).contains(data.resolve("identity.key").toString()).contains("--data-dir");
    }

    /** The command's words, the path in the argument's place, and --json when the command has it. */
    private static String[] args(CommandSpec command, ArgSpec arg, Path path) {
        List<String> words = new ArrayList<>(Arrays.asList(command.qualifiedName().split(" ")));
        words.remove(0);
        if (command.findOption("--json") != null) {
            words.add("--json");
        }
        if (arg instanceof OptionSpec o) {
            words.add(o.longestName());
        }
        words.add(path.toString());
        return words.toArray(String[]::new);
    }

    private static List<CommandSpec> commands(CommandSpec root) {
        List<CommandSpec> all = new ArrayList<>();
        all.add(root);
        root.subcommands().values().forEach(c -> {
            if (!all.contains(c.getCommandSpec())) {
                all.addAll(commands(c.getCommandSpec()));
            }
        });
        return all;
    }
}
