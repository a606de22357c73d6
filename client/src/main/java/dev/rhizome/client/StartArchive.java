package dev.rhizome.client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The run `package` records a class-data sharing archive of (rhizome.jsa beside rhizome.jar, through
 * -XX:ArchiveClassesAtExit): the commands an agent runs most, so the classes they load (the command
 * tree, key loading, the HTTP client, protobuf, JSON) are mapped from the archive at the next start
 * instead of read from the jar, parsed and verified. It needs no coordinator: the one command that
 * asks one (brief) asks an address nothing listens on, which loads what a real answer's path loads
 * up to the connection. Nothing it prints is shown; nothing it does can fail the build (the launcher
 * starts without an archive). docs/performance.md, "A command's start".
 */
public final class StartArchive {
    /** Where no coordinator listens: port 1 of loopback is refused at once. */
    private static final String NOBODY = "http://127.0.0.1:1";

    private StartArchive() {
    }

    public static void main(String[] args) throws IOException {
        Path data = Files.createTempDirectory("rhizome-start-archive");
        String dir = data.resolve("data").toString();
        List<List<String>> commands = List.of(
                List.of("--help"),
                List.of("--version"),
                List.of("id", "--data-dir", dir, "--json"),
                List.of("claim", "--help"),
                List.of("submit", "--help"),
                List.of("claim", "--no-such-option", "--json"),
                List.of("brief", "--data-dir", dir, "--coordinator", NOBODY, "--json"));
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), true);
        try {
            System.setOut(nowhere);
            System.setErr(nowhere);
            for (List<String> command : commands) {
                try {
                    Main.commandLine().execute(command.toArray(String[]::new));
                } catch (RuntimeException ignored) {
                    // a command that throws loaded its classes on the way: that is all this is for
                }
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> files = Files.walk(data)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
