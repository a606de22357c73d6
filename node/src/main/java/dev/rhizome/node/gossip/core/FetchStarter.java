package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;

/** Turns the planner's decisions into effects: a Fetch with every holder's address, or Unavailable once no holder is left. */
final class FetchStarter {
    private final Self self;
    private final Bundles bundles;
    private final HolderAddresses addresses;
    private final CoreClock clock;

    FetchStarter(Self self, Bundles bundles, HolderAddresses addresses, CoreClock clock) {
        this.self = self;
        this.bundles = bundles;
        this.addresses = addresses;
        this.clock = clock;
    }

    /**
     * The planner's start, with the addresses of its holder and of those queued behind it, for ranges
     * and fallbacks; a holder resting ({@link Declines}: it kept declining, or stayed silent past a
     * retry) is left out, as its rest means: asked for a range of another's fetch, a holder rested for
     * its silence and still silent stalled that range, a new silence, and was banned during its rest.
     */
    void startFetch(Start start, List<Effect> out) {
        self.counters().fetchesStarted++;
        List<PeerAddressing> holders = new ArrayList<>();
        PeerAddressing first = addresses.address(start.from());
        if (first != null) {
            holders.add(first);
            for (PublicId other : bundles.planner().queued(start.commit())) {
                PeerAddressing where = addresses.address(other);
                if (where != null && !where.info().getHost().isEmpty() && !other.equals(start.from())
                        && !bundles.planner().resting(other, clock.nowMs())) {
                    holders.add(where);
                }
            }
        }
        out.add(new Fetch(start.from(), start.commit(), holders));
    }

    /** A commit no holder is left for is dropped, and the work told. */
    void giveUpIfExhausted(String commit, String reason, List<Effect> out) {
        if (bundles.planner().exhausted(commit)) {
            bundles.planner().drop(commit);
            out.add(new Effect.Unavailable(commit, reason));
        }
    }

    /** Starts what the planner has ready (a slot freed, a holder's backoff over) and gives up what has no holder left. */
    void startReady(long now, List<Effect> out) {
        for (Start s : bundles.planner().ready(now)) {
            startFetch(s, out);
        }
        for (String commit : bundles.planner().exhaustedNeeded()) {
            giveUpIfExhausted(commit, "no usable holder left", out);
        }
    }
}
