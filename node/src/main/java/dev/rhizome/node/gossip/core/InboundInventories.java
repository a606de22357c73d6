package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A neighbour's checked Inventory: withdrawals noted, what is wanted fetched, keeper duties taken
 * while the keep budget has room (and the makers of duties evicted for them told), and a maker
 * naming this node keeper of what it holds told so.
 */
final class InboundInventories {
    private final Self self;
    private final Peers peers;
    private final Bundles bundles;
    private final FetchStarter fetches;
    private final SelfSigner selfSigner;
    private final Outbox outbox;
    private final Announcer announcer;

    InboundInventories(Self self, Peers peers, Bundles bundles, FetchStarter fetches, SelfSigner selfSigner,
                       Outbox outbox, Announcer announcer) {
        this.self = self;
        this.peers = peers;
        this.bundles = bundles;
        this.fetches = fetches;
        this.selfSigner = selfSigner;
        this.outbox = outbox;
        this.announcer = announcer;
    }

    void received(PublicId from, Link link, Inventory inventory, long now, List<Effect> out) {
        withdrawn(from, inventory, now, out);
        boolean named = !bundles.wants().all() && inventory.getKeepList().contains(self.id().toByteString());
        Map<PublicId, List<String>> evicted = new LinkedHashMap<>();
        for (String commit : inventory.getCommitsList()) {
            if (bundles.filtered()) {
                bundles.keepers().heard(from, commit); // a claim to a copy of our commit: believed only once we served it
            }
            // A keeper duty is taken only while the keep budget has room; declined, the
            // commit is not fetched and its maker names another keeper after its wait.
            boolean fetch = bundles.wants().all() || (named && !bundles.held().holds(commit)
                    && bundles.keepBudget().take(from, commit, peers.connections().openPeers(), now,
                            (maker, c) -> evicted.computeIfAbsent(maker, m -> new ArrayList<>()).add(c)));
            Start start = bundles.planner().announced(from, commit, fetch, now);
            if (start != null) {
                fetches.startFetch(start, out);
            }
            if (named && bundles.held().holds(commit)) {
                // named for what we hold: a maker checking on a keeper back from away hears it still does
                outbox.tellLater(from, link, commit, false, now, out);
            }
        }
        // Makers whose duties made room are told, so each names another keeper (if still linked).
        // In Inventories of the allowed size (one duty's room may evict many small ones), at
        // most as many as a prune's withdrawals; past that the maker still counts this node.
        int per = self.config().maxCommitsPerInventory();
        evicted.forEach((maker, commits) -> {
            if (peers.connections().get(maker) != null && !maker.equals(self.id())) {
                for (int i = 0; i < commits.size() && i < per * Announcer.MAX_WITHDRAWN_INVENTORIES; i += per) {
                    outbox.sendAnnouncement(maker, selfSigner.inventory(List.of(), List.of(), List.of(),
                            commits.subList(i, Math.min(commits.size(), i + per)), now), out);
                }
            }
        });
    }

    /**
     * {@code from} gave commits up or keeps them no more: it is not asked for what it gave up, a
     * "not found" of its in flight or doubted is excused (within its ration, see {@link GoneClaims}),
     * and, for commits made here, it is no longer counted as keeper, so another is named.
     */
    private void withdrawn(PublicId from, Inventory inventory, long now, List<Effect> out) {
        for (String commit : inventory.getGoneList()) {
            boolean answerAwaited = bundles.planner().isCurrent(from, commit) || bundles.goneClaims().doubted(from, commit);
            boolean excused = !answerAwaited || bundles.goneClaims().excuse(from, commit, now);
            bundles.claims().withdrawn(from, commit, !excused);
            if (bundles.filtered()) {
                bundles.keepers().gone(from, commit, now);
            }
        }
        if (bundles.filtered()) {
            inventory.getReleasedList().forEach(commit -> bundles.keepers().gone(from, commit, now));
            if (inventory.getGoneCount() + inventory.getReleasedCount() > 0) {
                announcer.replicate(now, out);
            }
        }
    }
}
