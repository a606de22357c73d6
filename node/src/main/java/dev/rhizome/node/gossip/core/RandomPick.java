package dev.rhizome.node.gossip.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Random subsets from the injected {@link Random}, so a seeded run is reproducible. */
final class RandomPick {
    private RandomPick() {
    }

    static <T> List<T> some(Collection<T> from, int max, Random random) {
        List<T> copy = new ArrayList<>(from);
        if (copy.size() <= max) {
            Collections.shuffle(copy, random);
            return copy;
        }
        // partial Fisher-Yates: only the first `max` places are drawn
        for (int i = 0; i < max; i++) {
            Collections.swap(copy, i, i + random.nextInt(copy.size() - i));
        }
        return new ArrayList<>(copy.subList(0, max));
    }
}
