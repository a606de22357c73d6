package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Everything one job of a launcher's may take, as that launcher's rules enforce it: its
 * {@link SandboxLimits} and the bounds the node counts from outside (mappings, pipes, epoll
 * watches, file locks, files in memory, bytes queued in sockets), each its {@link NodeShare} of the node's whole. What
 * {@code rhizome node doctor} prints per slot, since that, not one job alone's, is what a job has.
 *
 * @param ways how many jobs share the node's budget at once
 */
public record JobBudget(int ways, SandboxLimits limits, int mappings, int pipes, int epollWatches, int fileLocks,
        int memoryFiles, long socketBytes) {

    /** What each of {@code slots} slots' jobs gets of {@code whole}, one job alone's plan, on this node. */
    public static JobBudget forSlots(SandboxPlan whole, int slots) {
        NodeShare share = new NodeShare(slots);
        SandboxLimits limits = share.equals(NodeShare.ALONE) ? whole.limits() : whole.limits().sharedBy(share, NodeLimits.own());
        return of(limits, share);
    }

    static JobBudget of(SandboxLimits limits, NodeShare share) {
        return new JobBudget(share.ways(), limits, MemoryMappings.limitFor(share), HeldDescriptors.pipesFor(share),
                HeldDescriptors.watchesFor(share), FileLocks.limitFor(share), MemoryFiles.limitFor(share),
                SocketBuffers.limitFor(share));
    }

    /** What such a job starting now in {@code dir} may write there ({@link WorkDirBudget}). */
    public long diskBytesAt(Path dir) throws IOException {
        return WorkDirBudget.shareOf(dir, new NodeShare(ways));
    }

    /** The bound past which such a job is stopped for its pending signals ({@link PendingSignals}). */
    public int maxPendingSignals() {
        return 2 * limits.pendingSignals();
    }
}
