package dev.rhizome.node.job;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One run of a seed's command: where, what, with which extra environment (the budget and seed),
 * how long at most, where its output goes, and which metric to read from that output (none, when
 * the metric name is empty: then exit status 0 alone means OK).
 */
public record JobSpec(Path workDir, List<String> command, Map<String, String> env, Duration timeout, Path logFile,
        String metricName) {

    public JobSpec {
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(logFile, "logFile");
        Objects.requireNonNull(metricName, "metricName");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }
}
