package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.node.gossip.core.HolderClaims.Claim;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/**
 * Failed and stalled transfers: who pays for what (a "not found" for a commit a peer announced is
 * doubted until it withdraws it; a stall while this node itself was starved is no offence; a
 * transfer that advanced under the floor is slow, no offence either), and which holder is asked next.
 */
final class FetchFaults {
    private final Self self;
    private final Bundles bundles;
    /** This node's own starvation lately: when a reported stall is its fault, not the holder's. */
    private final Starvation starvation;
    private final FetchStarter fetches;
    private final Discipline discipline;
    private final HolderAddresses addresses;

    FetchFaults(Self self, Bundles bundles, Starvation starvation, FetchStarter fetches, Discipline discipline,
                HolderAddresses addresses) {
        this.self = self;
        this.addresses = addresses;
        this.bundles = bundles;
        this.starvation = starvation;
        this.fetches = fetches;
        this.discipline = discipline;
    }

    /** The adapter reports a fetch failed. */
    void failed(PublicId from, String commit, FetchFailure failure, long now, List<Effect> out) {
        // A stall the transfer's own progress rule found just after this node was starved: its bytes
        // waited unread here, so it is retried as a lost connection, at no cost to the holder.
        FetchFailure judged = failure == FetchFailure.STALLED && starvation.excusesStall(now) ? FetchFailure.CONNECTION_LOST : failure;
        if (judged == FetchFailure.STALLED && bundles.planner().isCurrent(from, commit) && bundles.planner().trickling(commit)) {
            judged = FetchFailure.SLOW; // its bytes reached the core in the window, too few: slow, as the core's own rule judges it
        }
        failFetch(from, commit, judged, false, now, out);
    }

    /**
     * The holder answered BUSY with a hint of when it expects room again (its builders or upload slots
     * full): a decline as any (no score, the next holder asked, counted towards its rest), and this
     * holder is not asked again, for any commit, before the hint (bounded) has passed.
     */
    void busy(PublicId from, String commit, long retryAfterMs, long now, List<Effect> out) {
        if (bundles.planner().isCurrent(from, commit)) {
            bundles.planner().busyFor(from, retryAfterMs, now); // before it is queued again, so its turn waits for the hint
        }
        failFetch(from, commit, FetchFailure.DECLINED, false, now, out);
    }

    /**
     * A holder asked for pieces (of a fetch from several) answered BUSY with a hint: no offence and no
     * decline counted (the fetch went on with the others, as a whole transfer's next holder would be
     * asked), but it is not asked again, for any commit, before the hint (bounded), as for a BUSY
     * answering a fetch of its own.
     */
    void holderBusy(PublicId holder, long retryAfterMs, long now) {
        bundles.planner().busyFor(holder, retryAfterMs, now);
    }

    /**
     * A holder other than the fetch's own peer failed its part: it pays as for a fetch of its own. A
     * stall of a range silent since {@code silentSinceMs} is one per silence ({@link Discipline#stalled}):
     * a holder pausing with ranges of several of our bundles, or with a fetch of its own too, stalls
     * them all, and each range was charged as a further stall in a row (-4, -16, -64: banned by one pause).
     */
    void holderFault(PublicId holder, String commit, FetchFailure failure, long silentSinceMs, long now, List<Effect> out) {
        if (failure == FetchFailure.SLOW) {
            bundles.planner().ranSlow(holder, now); // its range advanced, too slowly: no offence (the fetch dropped it already)
            return;
        }
        if (failure == FetchFailure.UNREACHABLE) {
            bundles.planner().rest(holder, now); // nothing proven at its address: no offence, but not dialled again at once
            restAlongside(holder, now);
            fetches.startReady(now, out);
            return;
        }
        if (failure == FetchFailure.CONNECTION_LOST || failure.declined()
                || (failure == FetchFailure.STALLED && starvation.excusesStall(now))) {
            return; // no offence: busy, declined or gone, or this node itself was starved
        }
        Penalty penalty = Penalty.of(failure);
        // "Not found" for a range of a commit it announced on its link: a claim, doubted as for its own fetch.
        if (failure == FetchFailure.NOT_FOUND && bundles.claims().claimOf(holder, commit, now) == Claim.LIVE
                && !bundles.goneClaims().doubt(holder, commit, now)) {
            penalty = Penalty.FALSE_CLAIM;
        }
        if (penalty == Penalty.STALLED) {
            discipline.stalled(holder, silentSinceMs, now, out);
        } else {
            discipline.penalise(holder, penalty, now, out);
        }
        fetches.startReady(now, out);
    }

    /**
     * Nothing was proven at {@code holder}'s address: the other keys the work's hints name there rest
     * too, so the address is dialled once per rest, not once per key. No offence, as for the holder.
     */
    private void restAlongside(PublicId holder, long now) {
        for (PublicId key : addresses.hintedAlongside(holder)) {
            bundles.planner().rest(key, now);
        }
    }

    /** Each tick: stalled fetches fail, slow ones move, doubted claims past their grace are scored, and ready fetches start. */
    void sweep(long now, List<Effect> out) {
        for (Start s : bundles.planner().stallClock().stalled(now)) {
            // Bytes of it arrived in the window, too few: the holder is slow, not silent (an honest node on a
            // slow disk or starved of CPU still sends); one that sent nothing stalled, as a rogue does.
            FetchFailure judged = bundles.planner().trickling(s.commit()) ? FetchFailure.SLOW : FetchFailure.STALLED;
            failFetch(s.from(), s.commit(), judged, true, now, out);
        }
        // Slow is no offence: a slow transfer moves to a faster holder, or gives its slot to a waiting fetch, at no cost.
        for (SlowRule.Move m : bundles.planner().slowRule().run(now)) {
            out.add(new CancelFetch(m.stopped().from(), m.stopped().commit()));
            fetches.startFetch(m.started(), out);
        }
        for (GoneClaims.Doubt d : bundles.goneClaims().due(now)) {
            discipline.penalise(d.peer(), Penalty.FALSE_CLAIM, now, out); // "not found", and no withdrawal within the grace
        }
        fetches.startReady(now, out);
    }

    /** A fetch of ours failed ({@code cancel}: we gave it up): the next holder is asked and the peer pays by the kind of failure. */
    void failFetch(PublicId from, String commit, FetchFailure failure, boolean cancel, long now, List<Effect> out) {
        if (!bundles.planner().isCurrent(from, commit)) {
            return; // a fetch we already gave up on
        }
        self.counters().fetchesFailed++;
        if (cancel) {
            out.add(new CancelFetch(from, commit));
        }
        boolean mayRetry = failure == FetchFailure.STALLED || failure == FetchFailure.CONNECTION_LOST;
        Penalty penalty = Penalty.of(failure);
        Claim claim = failure == FetchFailure.NOT_FOUND ? bundles.claims().claimOf(from, commit, now) : Claim.NONE;
        // A claim made on a link that has ended: the peer may have given the commit up while unlinked
        // (more than its greeting names), so it is excused from the ration withdrawals draw on; past
        // that ration (a peer re-linking to end its lies) it is doubted as a live claim is.
        boolean doubted = claim == Claim.LIVE
                || (claim == Claim.LAPSED && !bundles.goneClaims().excuse(from, commit, now));
        if (doubted && !bundles.goneClaims().doubt(from, commit, now)) {
            penalty = Penalty.FALSE_CLAIM; // too many doubts held: scored at once
        } // else a false claim unless the peer withdraws the commit within the grace (it may have just pruned it)
        long silentSinceMs = bundles.planner().silentSinceMs(commit); // read before the transfer is stopped
        // Slow rests as declines do: free, but a holder slow again and again is asked less and less, and
        // its fetches go to others meanwhile; banning it as a staller banned honest nodes on slow disks.
        if (failure == FetchFailure.SLOW) {
            bundles.planner().ranSlow(from, now); // before the next holder is picked: one not known slow first
        }
        if (failure == FetchFailure.UNREACHABLE) {
            restAlongside(from, now);  // before the next holder is picked: not another key at the same address
        }
        Start next = bundles.planner().failed(from, commit, mayRetry, failure.rests(), failure.restsAtOnce(), now);
        if (next != null) {
            fetches.startFetch(next, out);
        }
        fetches.giveUpIfExhausted(commit, "every holder failed, last " + failure, out);
        if (penalty == Penalty.STALLED) {
            discipline.stalled(from, silentSinceMs, now, out);
        } else {
            discipline.penalise(from, penalty, now, out);
        }
        fetches.startReady(now, out);
    }
}
