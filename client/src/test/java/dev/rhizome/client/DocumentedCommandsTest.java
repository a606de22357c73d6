package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every `rhizome` command the README, docs/agents.md and the seeds' briefs show in a code block is
 * one the tool takes: its words as a shell splits them, its options ones the command has, with the
 * values they need. A new agent copies them; the tiny-lm brief showed `rhizome submit --unit ID`,
 * which no claim's unit is called. A brief's commands run as printed (an agent reads the brief
 * through `rhizome brief` and runs what it shows: nothing to fill in, no `<...>` a shell reads as a
 * redirection); the README's and docs' `<...>` are placeholders, filled here with a word before
 * the shell reads them.
 */
class DocumentedCommandsTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern NOT_MADE_YET = Pattern.compile(": no such (file|directory)$");

    @TempDir
    Path dir;

    private record Documented(Path file, String command) {
        @Override
        public String toString() {
            return file + ": " + command;
        }
    }

    @Test
    void everyCommandTheDocsAndSeedBriefsShowIsOneTheToolTakes() throws Exception {
        List<Documented> commands = new ArrayList<>();
        for (Path doc : documents()) {
            commands.addAll(commands(doc));
        }
        // the seed's brief has its own, and the README and agents.md have dozens
        assertThat(commands).filteredOn(d -> d.file().endsWith("BRIEF.md")).hasSizeGreaterThanOrEqualTo(4);
        assertThat(commands).hasSizeGreaterThan(30);

        List<String> refused = new ArrayList<>();
        for (Documented d : commands) {
            boolean brief = d.file().endsWith("BRIEF.md");
            String line = brief ? d.command() : d.command().replaceAll("<[^<>]*>", "x1");
            List<String> words = shellWords(line);
            if (words == null) {
                refused.add(d + ": a shell cannot run it as shown");
                continue;
            }
            try {
                Main.commandLine().parseArgs(words.subList(1, words.size()).toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                // a file or directory the reader makes first (finding.md, ws, audit.jsonl) is no fault of the line
                if (!NOT_MADE_YET.matcher(e.getMessage()).find()) {
                    refused.add(d + ": " + e.getMessage());
                }
            }
        }
        assertThat(refused).as("documented commands the tool refuses").isEmpty();
    }

    @Test
    void theSeedBriefsShowNoUnitIdToFillIn() throws IOException {
        for (Path brief : briefs()) {
            assertThat(Files.readString(brief)).as(brief.toString()).doesNotContain("--unit ID")
                    .doesNotContainPattern("`rhizome [^`\\n]*\\n");  // no command split over two lines
        }
    }

    private static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("docs/agents.md")));
        docs.addAll(briefs());
        return docs;
    }

    private static List<Path> briefs() throws IOException {
        try (Stream<Path> seeds = Files.list(ROOT.resolve("ops/src/main/resources/seeds"))) {
            return seeds.map(s -> s.resolve("BRIEF.md")).filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** The `rhizome ...` lines of a file's code blocks (`$R` is the README's rhizome), continuation lines joined, a trailing `# comment` cut. */
    private static List<Documented> commands(Path file) throws IOException {
        List<Documented> found = new ArrayList<>();
        boolean inCode = false;
        StringBuilder pending = null;
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (raw.strip().startsWith("```")) {
                inCode = !inCode;
                continue;
            }
            if (!inCode) {
                continue;
            }
            String line = raw.strip();
            if (pending != null) {
                pending.append(' ').append(line);
            } else if (line.startsWith("rhizome ") || line.startsWith("$R ")) {
                pending = new StringBuilder(line.startsWith("$R ") ? "rhizome " + line.substring(3) : line);
            } else {
                continue;
            }
            if (pending.toString().endsWith("\\")) {
                pending.setLength(pending.length() - 1);
                continue;
            }
            // a service started in the background (`... &`) is the same command
            String command = pending.toString().replaceAll("\\s+#\\s.*$", "").strip().replaceAll("\\s*&$", "");
            pending = null;
            found.add(new Documented(file, command));
        }
        return found;
    }

    /** The words a POSIX shell makes of {@code command}, run in a scratch directory; null when it refuses it. */
    private List<String> shellWords(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/sh", "-c", "set -- " + command + " && printf '%s\\n' \"$@\"")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String words = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? words.lines().toList() : null;
    }
}
