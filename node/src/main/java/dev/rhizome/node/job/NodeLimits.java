package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The node's own soft limits on what the kernel counts for its uid on the whole machine, which its
 * jobs' tasks and signals count against too (the job's uid on the host is the node's when the node
 * is not root): the job's limits are sized so that a job cannot take all of them.
 *
 * @param processes      RLIMIT_NPROC: tasks of the uid; empty when unlimited
 * @param pendingSignals RLIMIT_SIGPENDING: signals queued for the uid; empty when unlimited
 */
public record NodeLimits(OptionalLong processes, OptionalLong pendingSignals) {
    public static final NodeLimits UNLIMITED = new NodeLimits(OptionalLong.empty(), OptionalLong.empty());

    /** This process's limits, or {@link #UNLIMITED} where {@code /proc/self/limits} cannot be read. */
    public static NodeLimits own() {
        try {
            return parse(Files.readString(Path.of("/proc/self/limits"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return UNLIMITED;
        }
    }

    /**
     * Reads the text of a {@code /proc/<pid>/limits} file: a line per limit, its name (words with
     * spaces), then soft limit, hard limit and unit. A limit missing or not a number reads as unlimited.
     */
    static NodeLimits parse(String limits) {
        return new NodeLimits(soft(limits, "Max processes"), soft(limits, "Max pending signals"));
    }

    private static OptionalLong soft(String limits, String name) {
        for (String line : limits.split("\n")) {
            if (line.startsWith(name + " ")) {
                String[] values = line.substring(name.length()).strip().split("\\s+");
                try {
                    return OptionalLong.of(Long.parseLong(values[0]));
                } catch (RuntimeException unlimited) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }
}
