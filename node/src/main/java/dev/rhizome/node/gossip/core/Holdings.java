package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * A commit comes to be held (fetched, made here, found in the repository at start) or is wanted by
 * the node's work: the planner is told, fetches made pointless are cancelled, the neighbours that
 * lack it are told, and what the planner has ready starts.
 */
final class Holdings {
    private final Self self;
    private final Peers peers;
    private final Bundles bundles;
    private final FetchStarter fetches;
    private final Announcer announcer;

    Holdings(Self self, Peers peers, Bundles bundles, FetchStarter fetches, Announcer announcer) {
        this.self = self;
        this.peers = peers;
        this.bundles = bundles;
        this.fetches = fetches;
        this.announcer = announcer;
    }

    /**
     * A bundle {@code from} sent was verified and imported: it delivered, and the commit is held,
     * unless the repository gave it up before this report ({@code stillHeld} false): then the want
     * ends and its other fetches are cancelled, and the commit is given up at once, told as any
     * (announced instead, it was a claim no withdrawal followed: the prune's came first, for a
     * commit not yet held here, and withdrew nothing).
     */
    void fetched(PublicId from, String commit, long bytes, boolean stillHeld, long now, List<Effect> out) {
        if (bundles.held().holds(commit)) {
            return;
        }
        self.counters().fetchesCompleted++;
        self.counters().bytesFetched += bytes;
        if (stillHeld) {
            announcer.noLongerGone(commit);
        }
        if (bundles.filtered() && stillHeld) {
            bundles.keepBudget().fetched(commit, bytes);
        }
        peers.scores().delivered(from);
        bundles.planner().delivered(from);
        bundles.planner().slowRule().delivered(from, commit, bytes, now);
        List<Start> pointless = new ArrayList<>();
        Set<PublicId> holders = bundles.planner().markHeld(commit, pointless);
        for (Start s : pointless) {
            if (!s.from().equals(from)) {
                out.add(new CancelFetch(s.from(), s.commit()));
            }
        }
        if (stillHeld) {
            announcer.held(commit, holders, false, now, out);
        } else {
            // Given up as any commit is: a maker that served it counts this node a keeper until told.
            announcer.dropped(List.of(commit), now, out);
        }
        fetches.startReady(now, out);
    }

    /** Made here or held at start ({@code own}: made here, so keepers are named for it). */
    void held(String commit, boolean own, long now, List<Effect> out) {
        announcer.noLongerGone(commit);
        if (bundles.held().holds(commit)) {
            return;
        }
        List<Start> pointless = new ArrayList<>();
        Set<PublicId> holders = bundles.planner().markHeld(commit, pointless);
        pointless.forEach(s -> out.add(new CancelFetch(s.from(), s.commit())));
        announcer.held(commit, holders, own, now, out);
        fetches.startReady(now, out);
    }

    /** The work needs {@code commit}, which {@code hints} are said to hold: fetched, or said unavailable once no usable holder is left. */
    void want(String commit, Collection<PublicId> hints, long now, List<Effect> out) {
        if (bundles.held().holds(commit)) {
            return;
        }
        List<PublicId> usable = new ArrayList<>();
        for (PublicId hint : hints) {
            if (!hint.equals(self.id()) && !peers.scores().isBanned(hint, now)) {
                usable.add(hint);
            }
        }
        Start start = bundles.planner().needed(commit, usable, now);
        if (start != null) {
            fetches.startFetch(start, out);
        } else if (bundles.planner().exhausted(commit)) {
            bundles.planner().drop(commit);
            out.add(new Effect.Unavailable(commit, hints.isEmpty() ? "no peer holds it" : "every peer that holds it is banned"));
        }
    }
}
