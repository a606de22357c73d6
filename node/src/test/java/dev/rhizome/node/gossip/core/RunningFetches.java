package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The fetches a core has started and not yet cancelled, kept from its effects as the driver's fetch
 * workers would hold them: for tests that drive the core on virtual time and finish transfers by hand.
 */
final class RunningFetches extends LinkedHashSet<Fetch> {
    /** Adds the effects' new fetches and drops the ones they cancel; other effects are ignored. */
    void take(List<Effect> effects) {
        for (Effect e : effects) {
            if (e instanceof Fetch f) {
                add(f);
            } else if (e instanceof CancelFetch c) {
                removeIf(f -> f.from().equals(c.from()) && f.commit().equals(c.commit()));
            }
        }
    }
}
