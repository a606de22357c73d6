package dev.rhizome.node.job;

import dev.rhizome.proto.v1.Result;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What a run came to. The metric is present only when the status is OK; steps are whatever the
 * job reported in a {@code num_steps:} line, whatever its status. The exit code of a killed job
 * is the one the OS reports for the kill (137 for SIGKILL on Linux). The reason says in words why
 * a run that is not OK is not ({@link JobReason}), empty when OK.
 */
public record JobOutcome(Result.Status status, OptionalDouble metric, long runtimeMs, byte[] logSha256, int exitCode,
        OptionalLong steps, String reason) {

    public JobOutcome {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(reason, "reason");
        logSha256 = logSha256.clone();
    }

    public JobOutcome(Result.Status status, OptionalDouble metric, long runtimeMs, byte[] logSha256, int exitCode,
            OptionalLong steps) {
        this(status, metric, runtimeMs, logSha256, exitCode, steps, "");
    }

    @Override
    public byte[] logSha256() {
        return logSha256.clone();
    }
}
