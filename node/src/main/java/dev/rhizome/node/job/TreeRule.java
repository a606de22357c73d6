package dev.rhizome.node.job;

import java.util.List;
import java.util.Optional;

/**
 * Something a launcher has the node enforce on a running job's processes each time it looks at
 * them ({@link ProcessTree#look}), for what the kernel lets a job change after it started
 * ({@link AutogroupNice}).
 */
interface TreeRule {
    TreeRule NONE = alive -> Optional.empty();

    /**
     * @param alive the job's processes alive now (its first one included)
     * @return why the job must stop, if the rule could not be kept
     */
    Optional<String> check(List<ProcessHandle> alive);

    /**
     * {@code rule} looked at once a second at most, the first time a second after this is called (the
     * job's start): for counts that cost the node a walk.
     */
    static TreeRule onceASecond(TreeRule rule) {
        long interval = 1_000_000_000L;
        long[] last = {System.nanoTime()};
        return alive -> {
            long now = System.nanoTime();
            if (now - last[0] < interval) {
                return Optional.empty();
            }
            last[0] = now;
            return rule.check(alive);
        };
    }

    /** This rule, then {@code next} if this one was kept. */
    default TreeRule and(TreeRule next) {
        return alive -> {
            Optional<String> broken = check(alive);
            return broken.isPresent() ? broken : next.check(alive);
        };
    }
}
