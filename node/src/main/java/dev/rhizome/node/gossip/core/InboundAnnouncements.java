package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.AnnouncementCheck.Outcome;
import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.ResultSeen;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Announcements that arrive on a link: an Inventory (fetch what is wanted, take keeper duties the
 * budget has room for, note withdrawals), a NodeInfo (learn it, relay it while it teaches someone
 * something), a Result (hand it to the node, relay it).
 */
final class InboundAnnouncements {
    private final PublicId selfId;
    private final GossipConfig config;
    private final Wants wants;
    /** Keepers of the commits made here (the wants filter only; null when every bundle is fetched). */
    private final Keepers keepers;
    /** The bytes this node keeps for neighbours that name it keeper (the wants filter only; null otherwise). */
    private final KeepBudget keepBudget;
    private final Connections connections;
    private final PeerTable table;
    private final PeerScores scores;
    private final AddressDials dials;
    private final FetchPlanner planner;
    private final GoneClaims goneClaims;
    private final SeenCache seen;
    private final AnnouncementCheck check;
    private final FetchStarter fetches;
    private final SelfSigner selfSigner;
    private final Outbox outbox;
    private final Announcer announcer;
    private final Discipline discipline;
    private final Dialer dialer;
    private final Counters counters;

    InboundAnnouncements(PublicId selfId, GossipConfig config, Wants wants, Keepers keepers, KeepBudget keepBudget,
                         Connections connections, PeerTable table, PeerScores scores, AddressDials dials,
                         FetchPlanner planner, GoneClaims goneClaims, SeenCache seen, AnnouncementCheck check,
                         FetchStarter fetches, SelfSigner selfSigner, Outbox outbox, Announcer announcer, Discipline discipline, Dialer dialer,
                         Counters counters) {
        this.selfId = selfId;
        this.config = config;
        this.wants = wants;
        this.keepers = keepers;
        this.keepBudget = keepBudget;
        this.connections = connections;
        this.table = table;
        this.scores = scores;
        this.dials = dials;
        this.planner = planner;
        this.goneClaims = goneClaims;
        this.seen = seen;
        this.check = check;
        this.fetches = fetches;
        this.selfSigner = selfSigner;
        this.outbox = outbox;
        this.announcer = announcer;
        this.discipline = discipline;
        this.dialer = dialer;
        this.counters = counters;
    }

    /** A signed announcement a peer sent or relayed: shape, novelty, signature and date checked, then acted on by kind. */
    void onAnnouncement(PublicId from, Link link, SignedEnvelope envelope, long now, List<Effect> out) {
        Outcome misshapen = check.misshapen(envelope);  // before the seen cache's digest of its bytes
        if (misshapen != null) {
            if (misshapen.penalty() != null) {
                counters.invalid++;
                discipline.penalise(from, misshapen.penalty(), now, out);
            }
            return;
        }
        if (!seen.firstSighting(SeenCache.idOf(envelope))) {
            counters.duplicates++;
            return;
        }
        Outcome outcome = check.announcement(envelope, from, now);
        if (!outcome.accepted()) {
            if (NodeInfoCheck.relayedOutOfWindow(outcome, envelope, from)) {
                counters.invalid++;
                return; // dropped: the signer's clock (or the relayer's lag) is at fault, not the relay
            }
            if (outcome.penalty() != null) {
                counters.invalid++;
                discipline.penalise(from, outcome.penalty(), now, out);
            }
            return;
        }
        counters.announcementsReceived++;
        if (link.closing) {
            return; // checked and scored, but not acted on
        }
        PublicId signer = PublicId.of(envelope.getSigner());
        switch (outcome.kind()) {
            case INVENTORY -> {
                Inventory inventory = (Inventory) outcome.record();
                withdrawn(from, inventory, now, out);
                boolean named = !wants.all() && inventory.getKeepList().contains(selfId.toByteString());
                Map<PublicId, List<String>> evicted = new java.util.LinkedHashMap<>();
                for (String commit : inventory.getCommitsList()) {
                    if (keepers != null) {
                        keepers.heard(from, commit); // a claim to a copy of our commit: believed only once we served it
                    }
                    // A keeper duty is taken only while the keep budget has room; declined, the
                    // commit is not fetched and its maker names another keeper after its wait.
                    boolean fetch = wants.all() || (named && !planner.holds(commit)
                            && keepBudget.take(from, commit, connections.openPeers(), now,
                                    (maker, c) -> evicted.computeIfAbsent(maker, m -> new ArrayList<>()).add(c)));
                    Start start = planner.announced(from, commit, fetch, now);
                    if (start != null) {
                        fetches.startFetch(start, out);
                    }
                    if (named && planner.holds(commit)) {
                        // named for what we hold: a maker checking on a keeper back from away hears it still does
                        link.toTell.add(commit);
                        if (link.toTell.size() >= config.maxCommitsPerInventory()) {
                            outbox.tellWaiting(from, link, true, now, out);
                        }
                    }
                }
                // Makers whose duties made room are told, so each names another keeper (if still linked).
                // In Inventories of the allowed size (one duty's room may evict many small ones), at
                // most as many as a prune's withdrawals; past that the maker still counts this node.
                int per = config.maxCommitsPerInventory();
                evicted.forEach((maker, commits) -> {
                    if (connections.get(maker) != null && !maker.equals(selfId)) {
                        for (int i = 0; i < commits.size() && i < per * Announcer.MAX_WITHDRAWN_INVENTORIES; i += per) {
                            outbox.sendAnnouncement(maker, selfSigner.inventory(List.of(), List.of(), List.of(),
                                    commits.subList(i, Math.min(commits.size(), i + per)), now), out);
                        }
                    }
                });
            }
            case NODE_INFO -> {
                // Relayed only while it teaches someone something: the flood dies where tables already know it.
                // Nor while another id holds its address (unless this one proved it owns it), nor while
                // dials to its host keep failing: made-up ids naming one victim's address (or its ports)
                // stop at the first node that knows one of them, or found the host dead.
                NodeInfo info = (NodeInfo) outcome.record();
                boolean contested = (table.claimedByAnother(signer, info) || dials.hostFailing(info))
                        && !signer.equals(dials.owner(info));
                if (!signer.equals(selfId) && !scores.isBanned(signer, now)
                        && table.offer(signer, info, envelope, link.remote.reach(), dialer::kept) && !contested) {
                    // Not to links it would be out of reach for: they drop it, and it maps our LAN for them.
                    Set<PublicId> skip = new java.util.HashSet<>(except(from, signer));
                    for (PublicId peer : connections.openPeers()) {
                        if (PeerTable.outOfReach(info, connections.get(peer).remote.reach())) {
                            skip.add(peer);
                        }
                    }
                    outbox.relay(envelope, skip, now, out);
                }
            }
            case RESULT -> {
                out.add(new ResultSeen(envelope));
                outbox.relay(envelope, except(from, signer), now, out);
            }
        }
    }

    /**
     * {@code from} gave commits up or keeps them no more: it is not asked for what it gave up, a
     * "not found" of its in flight or doubted is excused (within its ration, see {@link GoneClaims}),
     * and, for commits made here, it is no longer counted as keeper, so another is named.
     */
    void withdrawn(PublicId from, Inventory inventory, long now, List<Effect> out) {
        for (String commit : inventory.getGoneList()) {
            boolean answerAwaited = planner.isCurrent(from, commit) || goneClaims.doubted(from, commit);
            boolean excused = !answerAwaited || goneClaims.excuse(from, commit, now);
            planner.withdrawn(from, commit, !excused);
            if (keepers != null) {
                keepers.gone(from, commit, now);
            }
        }
        if (keepers != null) {
            inventory.getReleasedList().forEach(commit -> keepers.gone(from, commit, now));
            if (inventory.getGoneCount() + inventory.getReleasedCount() > 0) {
                announcer.replicate(now, out);
            }
        }
    }

    private static Set<PublicId> except(PublicId from, PublicId signer) {
        return from.equals(signer) ? Set.of(from) : Set.of(from, signer);
    }
}
