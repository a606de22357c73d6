package dev.rhizome.node.job;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * One look at a job's descriptors for every rule that asks within a poll or two: {@link HeldDescriptors} and
 * {@link MemoryFiles}' held files each read every descriptor once a second, a {@code readlink} and a
 * {@code stat} each, and a job of 25 processes holding 4,000 each cost the node 4.5 to 6 s a look at load 36
 * on 2 cores (round 30), so two looks where one does doubled what a hostile job could make the node's
 * checking thread spend. The second asker gets the first's look when it asks for the same processes, no
 * more descriptors and no more epoll watches, within {@link #FRESH_NANOS}: a look a poll old, as exact as
 * each rule's own once-a-second look at the moment it is taken. A job's rules run on one thread; this is
 * one job's.
 */
final class RecentLook implements DescriptorSource {
    /** Five polls of the runner's: the rules fire in the same poll, or one apart. */
    static final long FRESH_NANOS = 250_000_000L;

    private final DescriptorSource source;
    private final long watchFloor;
    private final LongSupplier clock;
    private List<Long> lastPids;
    private int lastMax;
    private long lastWatchCap;
    private long lastAt;
    private Look last;

    /**
     * @param watchFloor the epoll watches every look counts at the least: the largest cap any asker gives, so
     *                   that one asking for none ({@link DeletedFiles}) is answered by, and answers, the one
     *                   that counts them ({@link HeldDescriptors})
     */
    RecentLook(DescriptorSource source, long watchFloor, LongSupplier clock) {
        this.source = source;
        this.watchFloor = watchFloor;
        this.clock = clock;
    }

    static DescriptorSource forJob(DescriptorSource source, long watchFloor) {
        return new RecentLook(source, watchFloor, System::nanoTime);
    }

    @Override
    public Look look(List<Long> pids, int max, long watchCap) {
        long now = clock.getAsLong();
        if (last != null && now - lastAt < FRESH_NANOS && pids.equals(lastPids) && max == lastMax
                && watchCap <= lastWatchCap) {
            return last;
        }
        long cap = Math.max(watchCap, watchFloor);
        Look look = source.look(pids, max, cap);
        lastPids = List.copyOf(pids);
        lastMax = max;
        lastWatchCap = cap;
        // When it ended: a look of seconds (a loaded machine) is served to the next rule, which would
        // otherwise spend as long again on descriptors read a moment before.
        lastAt = clock.getAsLong();
        last = look;
        return look;
    }
}
