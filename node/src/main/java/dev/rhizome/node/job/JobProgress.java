package dev.rhizome.node.job;

/** Receives a running job's output one line at a time (without the line break), for live display. */
@FunctionalInterface
public interface JobProgress {
    JobProgress IGNORE = line -> { };

    void line(String line);
}
