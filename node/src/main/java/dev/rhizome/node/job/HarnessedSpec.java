package dev.rhizome.node.job;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One run of a harnessed seed (docs/architecture.md, "The evaluation harness"): the checkout where
 * the edited code trains and then serves, the directory holding the seed's own copy of the
 * protected files where the harness runs, the directory only the harness writes its result in,
 * the four commands (prepare may be empty), the budget environment, the time limit for all phases
 * together, the combined log, and the metric the harness reports.
 */
public record HarnessedSpec(Path checkout, Path harnessDir, Path resultDir, List<String> prepareCommand,
        List<String> trainCommand, List<String> serveCommand, List<String> harnessCommand, Map<String, String> env,
        Duration timeout, Path logFile, String metricName) {

    public HarnessedSpec {
        Objects.requireNonNull(checkout, "checkout");
        Objects.requireNonNull(harnessDir, "harnessDir");
        Objects.requireNonNull(resultDir, "resultDir");
        Objects.requireNonNull(logFile, "logFile");
        Objects.requireNonNull(metricName, "metricName");
        prepareCommand = List.copyOf(prepareCommand);
        trainCommand = List.copyOf(trainCommand);
        serveCommand = List.copyOf(serveCommand);
        harnessCommand = List.copyOf(harnessCommand);
        env = Map.copyOf(env);
        if (trainCommand.isEmpty() || serveCommand.isEmpty() || harnessCommand.isEmpty()) {
            throw new IllegalArgumentException("train, serve and harness commands are all needed");
        }
        if (metricName.isEmpty()) {
            throw new IllegalArgumentException("metricName is empty");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }
}
