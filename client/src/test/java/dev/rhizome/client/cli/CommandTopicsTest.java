package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command a guessed word leads to is one that runs as written: a topic naming a command
 * that was renamed or never existed would send a new user from one usage error to another.
 */
class CommandTopicsTest {
    @Test
    void everyCommandAWordLeadsToParsesAsWritten() {
        List<String> broken = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<String>>> group : CommandTopics.all().entrySet()) {
            for (Map.Entry<String, List<String>> topic : group.getValue().entrySet()) {
                for (String command : topic.getValue()) {
                    List<String> args = new ArrayList<>(Arrays.asList(command.replace(" D", " d").split(" ")));
                    if (!command.equals("--version")) {
                        args.add("--help");
                    }
                    CommandLine cli = Main.commandLine();
                    StringWriter sink = new StringWriter();
                    cli.setOut(new PrintWriter(sink));
                    cli.setErr(new PrintWriter(sink));
                    int code = cli.execute(args.toArray(String[]::new));
                    if (code != 0) {
                        broken.add("rhizome " + (group.getKey() + " " + topic.getKey()).strip() + " -> rhizome " + command
                                + ": exit " + code);
                    }
                    // a topic is for a word no command is near: one that is a command would never be asked
                    CommandLine in = group.getKey().isEmpty() ? cli : cli.getSubcommands().get(group.getKey());
                    if (in.getSubcommands().containsKey(topic.getKey())) {
                        broken.add("rhizome " + group.getKey() + " " + topic.getKey() + " is a command");
                    }
                }
            }
        }
        assertThat(broken).isEmpty();
    }
}
