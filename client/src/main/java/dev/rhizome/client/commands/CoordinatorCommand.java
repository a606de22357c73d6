package dev.rhizome.client.commands;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.StopSignals;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.protocol.identity.PublicId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = {"Run a coordinator: hands out work units, stores signed results, keeps leaderboards.",
            "Writes its URL to <data-dir>/coordinator.url once it listens; stops on SIGTERM or Ctrl-C."})
public final class CoordinatorCommand implements Callable<Integer> {
    public static final String URL_FILE = "coordinator.url";

    @Mixin
    DataDirOption dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "7700", description = "Port, 0 for any free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--lease-seconds", defaultValue = "0",
            description = "Lease length for every unit; 0 derives it from the seed's timeout (default).")
    long leaseSeconds;

    @Option(names = "--operator", paramLabel = "ID",
            description = "Public id allowed to publish seeds and open directions (repeatable). None: anyone may.")
    List<String> operators = List.of();

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new CommandException(ExitCodes.USAGE, "--port must be 0..65535, got " + port);
        }
        if (leaseSeconds < 0) {
            throw new CommandException(ExitCodes.USAGE, "--lease-seconds must not be negative");
        }
        Set<PublicId> ops = new LinkedHashSet<>();
        for (String id : operators) {
            try {
                ops.add(PublicId.parse(id));
            } catch (IllegalArgumentException e) {
                throw new CommandException(ExitCodes.USAGE, "--operator: " + e.getMessage());
            }
        }
        Path dir = dataDir.path();
        Files.createDirectories(dir);
        Path urlFile = dir.resolve(URL_FILE);
        Files.deleteIfExists(urlFile);
        CoordinatorConfig config = CoordinatorConfig.defaults(dir)
                .withHost(host).withPort(port)
                .withLeaseDuration(Duration.ofSeconds(leaseSeconds))
                .withOperators(ops);
        Coordinator coordinator = Coordinator.start(config);
        // SIGTERM and Ctrl-C are a request to stop, not a failure: handled here instead of by the
        // JVM's default (which exits 143), so the coordinator closes and the command exits 0.
        CountDownLatch stopRequested = new CountDownLatch(1);
        StopSignals.onStop(stopRequested::countDown);
        Path tmp = dir.resolve(URL_FILE + ".tmp");
        Files.writeString(tmp, coordinator.url() + "\n");
        Files.move(tmp, urlFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        stopRequested.await();
        coordinator.close();
        return ExitCodes.OK;
    }
}
