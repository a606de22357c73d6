package dev.rhizome.node.work;

import java.util.List;

/**
 * A running node as {@code rhizome node status} shows it: whether jobs may start (and why not),
 * each slot, how many units wait in slot buffers, and the credit so far.
 */
public record NodeStatus(String node, boolean paused, String gate, List<SlotStatus> slots, int queued, Credit credit) {

    public record Credit(long resultsReported, long experimentsProposed, long jobsRun, int outboxPending) {
    }
}
