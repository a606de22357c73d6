package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The keeper's byte budget ({@link KeepBudget}) through the core, on virtual time: a linked rogue
 * naming this node keeper of many large commits of its own gets no more than the budget fetched,
 * and an honest maker still finds this node a keeper.
 */
class GossipKeepBudgetTest {
    static final long MIB = 1L << 20;
    static final long BUDGET = 256 * MIB;
    static final long BUNDLE = 64 * MIB;

    final Identity identity = Identity.generate();
    long now = 50_000_000;
    long fetchedBytes;
    final List<String> fetched = new ArrayList<>();

    GossipCore core(long keepBytes) {
        return new GossipCore(identity, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
                GossipConfig.defaults(), new Random(1), SignatureCheck.envelopes(),
                Wants.workAndReplicas(3, keepBytes, BUNDLE));
    }

    /** {@code maker} names the core keeper of {@code commits} in one Inventory. */
    List<Effect> namesKeeper(GossipCore core, Peer maker, List<String> commits) {
        var keep = Envelopes.sign(maker.identity, Inventory.newBuilder().setNode(maker.id.toByteString())
                .addAllCommits(commits).addKeep(identity.publicId().toByteString()).setTimeMs(now).build());
        return core.onMessage(maker.id, Peer.announce(keep), now);
    }

    /** Serves every fetch the core asks for, each bundle {@code BUNDLE} bytes, until it asks for none. */
    void serveAll(GossipCore core, List<Effect> first) {
        Deque<Fetch> todo = new ArrayDeque<>(only(first, Fetch.class));
        while (!todo.isEmpty()) {
            Fetch f = todo.pop();
            now += 1_000;
            fetched.add(f.commit());
            fetchedBytes += BUNDLE;
            todo.addAll(only(core.onFetched(f.from(), f.commit(), BUNDLE, now), Fetch.class));
        }
    }

    static List<String> commits(int from, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Peer.commit(from + i));
        }
        return out;
    }

    @Test
    void aRogueNamingThisNodeKeeperOfManyLargeCommitsCannotPushItPastItsKeepBudget() {
        GossipCore core = core(BUDGET);
        core.start(List.of(), now);
        Peer rogue = Peer.connectedTo(core, now);

        serveAll(core, namesKeeper(core, rogue, commits(1, 100)));
        serveAll(core, namesKeeper(core, rogue, commits(101, 100)));

        assertThat(fetchedBytes).as("bundles fetched for the rogue's keeper duties").isLessThanOrEqualTo(BUDGET);
        assertThat(fetched).hasSize((int) (BUDGET / BUNDLE));
        assertThat(core.keepUsage().usedBytes()).isLessThanOrEqualTo(BUDGET);
        assertThat(core.keepUsage().declined()).isEqualTo(200 - BUDGET / BUNDLE);
        assertThat(core.keptForOthers()).containsExactlyInAnyOrderElementsOf(fetched);
    }

    @Test
    void anHonestMakerStillFindsThisNodeAKeeperWhileARogueFillsTheBudget() {
        GossipCore core = core(BUDGET);
        core.start(List.of(), now);
        Peer rogue = Peer.connectedTo(core, now);
        serveAll(core, namesKeeper(core, rogue, commits(1, 100)));
        assertThat(core.keepUsage().usedBytes()).as("the rogue alone: the whole budget").isEqualTo(BUDGET);

        Peer honest = Peer.connectedTo(core, now);
        List<Effect> named = namesKeeper(core, honest, List.of(Peer.commit(1_000)));
        assertThat(only(named, Fetch.class)).as("room made from the rogue's share")
                .containsExactly(new Fetch(honest.id, Peer.commit(1_000)));
        serveAll(core, named);

        assertThat(core.keptForOthers()).contains(Peer.commit(1_000));
        assertThat(core.keepUsage().usedBytes()).isLessThanOrEqualTo(BUDGET);
        assertThat(core.keepUsage().evicted()).isEqualTo(1);

        // The rogue asks again: it holds more than half of two makers' budget, so it is declined.
        assertThat(only(namesKeeper(core, rogue, commits(500, 10)), Fetch.class)).isEmpty();
        // The honest maker asks for its share: granted, at the rogue's expense, up to half.
        List<Effect> more = namesKeeper(core, honest, commits(2_000, 10));
        serveAll(core, more);
        assertThat(core.keepUsage().usedBytes()).isLessThanOrEqualTo(BUDGET);
        assertThat(core.keptForOthers().stream().filter(c -> c.compareTo(Peer.commit(1_000)) >= 0).count())
                .as("the honest maker's kept commits: its half").isEqualTo(BUDGET / BUNDLE / 2);
    }

    @Test
    void aDutyWhoseBundleNeverCameIsReleasedOnceItsMakerHasNamedAnother() {
        GossipCore core = core(BUDGET);
        core.start(List.of(), now);
        Peer rogue = Peer.connectedTo(core, now);
        // Names this node keeper of four commits and never serves them: the budget is all reserved.
        assertThat(only(namesKeeper(core, rogue, commits(1, 4)), Fetch.class)).isNotEmpty();
        assertThat(only(namesKeeper(core, rogue, commits(10, 1)), Fetch.class)).isEmpty();
        assertThat(core.keepUsage().usedBytes()).isEqualTo(BUDGET);

        GossipCoreTimeTest.runUntil(core, List.of(), now, now + KeepBudget.PENDING_MS + 2_000);
        now += KeepBudget.PENDING_MS + 2_000;
        Peer later = Peer.connectedTo(core, now);
        assertThat(only(namesKeeper(core, later, commits(20, 1)), Fetch.class)).isNotEmpty();
        assertThat(core.keepUsage().usedBytes()).as("the reservations lapsed; one taken anew").isEqualTo(BUNDLE);
    }

    @Test
    void makersNoLongerLinkedGiveWayFirst() {
        KeepBudget budget = new KeepBudget(4 * BUNDLE, BUNDLE);
        Peer gone = new Peer();
        Peer a = new Peer();
        for (int i = 0; i < 4; i++) {
            assertThat(budget.take(gone.id, Peer.commit(i), List.of(gone.id), now)).isTrue();
            budget.fetched(Peer.commit(i), BUNDLE);
        }
        assertThat(budget.take(gone.id, Peer.commit(9), List.of(gone.id), now)).as("full, linked alone").isFalse();
        assertThat(budget.take(a.id, Peer.commit(10), List.of(a.id), now)).as("the gone maker's oldest gives way").isTrue();
        assertThat(budget.kept()).doesNotContain(Peer.commit(0)).contains(Peer.commit(1));
        assertThat(budget.usedBytes()).isEqualTo(4 * BUNDLE);
    }
}
