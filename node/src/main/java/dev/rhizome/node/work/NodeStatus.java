package dev.rhizome.node.work;

import java.util.List;

/**
 * A running node as {@code rhizome node status} shows it: whether jobs may start (and why not),
 * each slot, how many units wait in slot buffers, the credit so far, and its disk (null until the
 * daemon adds it).
 */
public record NodeStatus(String node, boolean paused, String gate, List<SlotStatus> slots, int queued, Credit credit,
                         Disk disk) {

    public NodeStatus(String node, boolean paused, String gate, List<SlotStatus> slots, int queued, Credit credit) {
        this(node, paused, gate, slots, queued, credit, null);
    }

    public NodeStatus withDisk(Disk value) {
        return new NodeStatus(node, paused, gate, slots, queued, credit, value);
    }

    public record Credit(long resultsReported, long experimentsProposed, long jobsRun, int outboxPending) {
    }

    /**
     * The git repository against its budget (measured when asked: -1 when it could not be), and the
     * bytes kept for neighbours that named this node keeper against their share.
     */
    public record Disk(long repoBytes, long repoBudgetBytes, int repoPacks, long keptBytes, long keepBudgetBytes,
                       long keepDeclined) {
    }
}
