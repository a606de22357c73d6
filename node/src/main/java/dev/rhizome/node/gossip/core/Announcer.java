package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What this node tells its neighbours of its own holdings: a commit it came to hold (naming keepers
 * for one made here), what it recently held and gave up when a link opens, keepers named again for
 * commits short of them, and withdrawals of what it gave up.
 */
final class Announcer {
    /** Inventories of withdrawn commits sent to each link per prune at most (8,000 commits at the default size). */
    static final int MAX_WITHDRAWN_INVENTORIES = 8;

    private final Self self;
    private final Peers peers;
    private final Bundles bundles;
    private final SelfSigner selfSigner;
    private final Outbox outbox;
    /**
     * The commits given up most recently (as many as one Inventory names): a link that opens later
     * may have heard them announced before, on a link since dropped (a neighbour's work keeps the
     * holders of what it needs), and is told they are gone as it is told what is held.
     */
    private final Bounded<String, Long> recentlyGone;

    Announcer(Self self, Peers peers, Bundles bundles, SelfSigner selfSigner, Outbox outbox) {
        this.self = self;
        this.peers = peers;
        this.bundles = bundles;
        this.selfSigner = selfSigner;
        this.outbox = outbox;
        this.recentlyGone = new Bounded<>(self.config().maxCommitsPerInventory());
    }

    /**
     * A link opened to a keeper back from away (perhaps restarted, and forgetting what it gave up
     * meanwhile): named again for the commits made here that it kept.
     */
    void linked(PublicId peer, Link link, long now, List<Effect> out) {
        if (bundles.filtered()) {
            for (String commit : bundles.keepers().linked(peer, now)) {
                outbox.tellLater(peer, link, commit, true, now, out);
            }
        }
    }

    /** A new link: the peer hears what we recently came to hold and gave up, and keepers short of copies are named. */
    void greet(PublicId peer, long now, List<Effect> out) {
        List<String> recent = bundles.held().recent();
        List<String> gone = recentlyGone.keys();
        if (!recent.isEmpty() || !gone.isEmpty()) {
            // Both together stay within one Inventory's bound: the newest held are kept whole.
            List<String> goneFit = gone.subList(Math.max(0, gone.size() - (self.config().maxCommitsPerInventory() - recent.size())),
                    gone.size());
            outbox.sendAnnouncement(peer, selfSigner.inventory(recent, List.of(), goneFit, List.of(), now), out);
        }
        replicate(now, out);
    }

    /**
     * The wants filter: own commits short of keepers (made while this node had few links, or a
     * keeper never fetched) name more among the open links, by rendezvous order, each told in one
     * Inventory that names it.
     */
    void replicate(long now, List<Effect> out) {
        if (bundles.filtered()) {
            bundles.keepers().more(peers.connections().openPeers(), self.config().maxCommitsPerInventory(), now)
                    .forEach((peer, commits) -> outbox.sendAnnouncement(peer, selfSigner.inventory(commits, List.of(peer), now), out));
        }
    }

    /** Tells the neighbours that lack it; a commit made here ({@code own}) names its keepers under the wants filter. */
    void held(String commit, Set<PublicId> holders, boolean own, long now, List<Effect> out) {
        List<PublicId> targets = new ArrayList<>();
        for (PublicId peer : peers.connections().openPeers()) {
            if (!holders.contains(peer)) {
                targets.add(peer);
            }
        }
        List<PublicId> named = own && bundles.filtered() ? bundles.keepers().made(commit, targets, now) : List.of();
        if (targets.isEmpty()) {
            return;
        }
        SignedEnvelope inventory = null;
        for (PublicId peer : targets) {
            Link link = peers.connections().get(peer);
            if (link.waiting.isEmpty() && outbox.paced(link, now).tryTake(1, now * 1_000_000L)) {
                if (inventory == null) {
                    inventory = selfSigner.inventory(List.of(commit), named, now);
                }
                outbox.sendAnnouncement(peer, inventory, out);
            } else {
                outbox.tellLater(peer, link, commit, named.contains(peer), now, out);
            }
        }
    }

    /** {@code commit} is held again: no longer told as given up. */
    void noLongerGone(String commit) {
        recentlyGone.remove(commit);
    }

    /** The repository gave {@code commits} up: no longer held nor kept, and withdrawn from the neighbours, the most recently held first. */
    void dropped(Collection<String> commits, long now, List<Effect> out) {
        Set<String> recent = new HashSet<>(bundles.held().recent());
        List<String> given = new ArrayList<>();
        for (String commit : commits) {
            if (bundles.held().holds(commit) && CommitId.isValid(commit)) {
                given.add(commit);
            }
            bundles.held().remove(commit);
            if (bundles.filtered()) {
                bundles.keepBudget().release(commit);
            }
        }
        given.forEach(c -> recentlyGone.put(c, now));
        outbox.unwait(given); // never announce what is no longer held
        given.sort(Comparator.comparing(c -> !recent.contains(c))); // recently announced first
        int per = self.config().maxCommitsPerInventory();
        List<PublicId> open = peers.connections().openPeers();
        for (int i = 0; i < given.size() && i < per * MAX_WITHDRAWN_INVENTORIES && !open.isEmpty(); i += per) {
            SignedEnvelope withdrawal = selfSigner.inventory(List.of(), List.of(),
                    given.subList(i, Math.min(given.size(), i + per)), List.of(), now);
            open.forEach(peer -> outbox.sendAnnouncement(peer, withdrawal, out));
        }
    }
}
