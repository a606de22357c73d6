package dev.rhizome.node.job;

import java.util.List;

/**
 * Where the node learns a job's open descriptors ({@link JobDescriptor}): {@code /proc} read by the
 * node itself ({@link ProcDescriptors}) where the job's processes are the node's to look into (its
 * own uid, or any when the node is root), or a helper in the job's user namespace
 * ({@link NamespaceFds}) where they run as a subordinate uid whose {@code /proc/<pid>/fd} the
 * node's own namespace may not read.
 */
interface DescriptorSource {
    /**
     * @param descriptors what was read, in the order of {@code pids}
     * @param more        whether the processes held more than the look's {@code max}, the rest unread
     * @param blind       why nothing could be read (the helper that reads them is gone), or null:
     *                    what the node cannot see it cannot count, so the job must stop
     */
    record Look(List<JobDescriptor> descriptors, boolean more, String blind) {
        Look(List<JobDescriptor> descriptors, boolean more) {
            this(descriptors, more, null);
        }

        static Look blind(String why) {
            return new Look(List.of(), false, why);
        }
    }

    /**
     * The descriptors of {@code pids} (gone ones skipped), {@code max} at most, epoll watches counted
     * up to {@code watchCap} in all, so that a job holding millions costs a bounded look.
     */
    Look look(List<Long> pids, int max, long watchCap);

    static DescriptorSource onThisMachine() {
        return ProcDescriptors.ON_THIS_MACHINE;
    }
}
