package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.SilentAddress;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.support.RefusedPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Holder hints that lead nowhere, over the wire: the work names a commit's holders (records.proto's
 * PeerEndpoint, as a rogue announcing under many keys, or a stale list, makes them) at a closed port,
 * at an address that takes the connection and never says hello, and at an honest node's address
 * under keys not its own; the honest node is named too (it does not hold the commit), and the one
 * real holder last. The bundle comes from the real holder, each silent hint costing a handshake
 * turn (4 s here), not the idle timeout (30 s) and a retry as a stall, and each dialled about once:
 * before round 34 every transfer of the commit (one per hint, each fetching in pieces from all)
 * named every hint again, since a range's "nothing proven there" rested nobody, and the silent
 * address was dialled 17 times. The honest node named is neither scored nor unlinked, and each key
 * that led nowhere rests, so a second commit's hints naming them are not dialled again meanwhile;
 * so does every other key the hints name at an address that proved nothing (a rogue's many keys
 * naming one silent address rest together), never the honest node linked at a borrowed address.
 */
class HintsLeadingNowhereLoopbackTest extends RogueLoopbackTest {
    /** A connect timeout of 2 s (a handshake turn of 4 s) and the default idle timeout of 30 s. */
    static final PeerConfig SLOW_IDLE = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(30));
    static final int ROUNDS = 4;

    @Test
    void hintsAtDeadSilentAndBorrowedAddressesCostTurnsNotTheHonestNodeNamed() throws Exception {
        Identity makerId = Identity.generate();
        Started maker = net.startWith(tmp.resolve("maker"), makerId, honest(1).apply(makerId), SLOW_IDLE, List::of);
        Identity namedId = Identity.generate();
        Started named = net.startWith(tmp.resolve("named"), namedId, honest(2).apply(namedId), SLOW_IDLE, List::of);
        Identity victimId = Identity.generate();
        Started victim = net.startWith(tmp.resolve("victim"), victimId, honest(3).apply(victimId), SLOW_IDLE,
                () -> List.of(info(named)));
        SilentAddress silent = new SilentAddress();
        net.open.add(silent);
        RefusedPort refused = new RefusedPort();  // held, never listening: no other test's server takes it meanwhile
        net.open.add(refused);
        int closedPort = refused.port();
        GossipServiceTest.await(() -> victim.linkedTo(namedId.publicId()), Duration.ofSeconds(60));

        List<PeerEndpoint> hints = new ArrayList<>();
        List<PublicId> rogueKeys = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            for (int port : new int[] {closedPort, silent.port(), named.gossip().port()}) {
                Identity key = Identity.generate();
                rogueKeys.add(key.publicId());
                hints.add(endpoint(key.publicId(), port));
            }
        }
        hints.add(endpoint(namedId.publicId(), named.gossip().port()));  // honest, and without the commit
        hints.add(endpoint(makerId.publicId(), maker.gossip().port()));
        String first = maker.commitAndAnnounce("behind twelve hints that lead nowhere");
        // Listeners are told who served: the maker, not the dead hint the transfer began with (before round 35).
        Map<String, PublicId> servedBy = new ConcurrentHashMap<>();
        victim.gossip().addListener((commit, from, bytes) -> servedBy.put(commit, from));

        long askedAt = System.nanoTime();
        CompletableFuture<FetchResult> fetched = victim.gossip().fetch(first, hints);
        // Four silent hints at a 4 s turn each, and the rest at once; before, 4 x 30 s of idle timeout at the least.
        GossipServiceTest.await(fetched::isDone, Duration.ofSeconds(90));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - askedAt);
        assertThat(fetched).as("fetched from the real holder, in %d ms", tookMs).isCompletedWithValueMatching(r -> r.commit().equals(first));
        int silentDials = silent.accepted();
        GossipServiceTest.await(() -> servedBy.containsKey(first), Duration.ofSeconds(30));
        assertThat(servedBy.get(first)).as("the holder that served, as the listeners were told").isEqualTo(makerId.publicId());
        // Once: a dial waiting on the silent address's dial in flight (a range of the next transfer
        // begun meanwhile) fails with it undialled, and a transfer's other keys at an address that
        // proved nothing are dropped from it (round 35). At most once more: a transfer that reaches a
        // key at the address after the first dial ended and before the rest it earned reached the core.
        // Before round 34, every transfer named every hint again, and it was dialled 17 times; before
        // round 35, up to once a key.
        assertThat(silentDials).as("dials of the silent address before the real holder's bundle came, for %d keys", ROUNDS)
                .isBetween(1, 2);
        assertThat(banned(victim, namedId.publicId())).as("the honest node whose address was borrowed is not banned").isFalse();
        assertThat(score(victim, namedId.publicId())).as("nor scored").isZero();
        assertThat(linked(victim)).as("and keeps its link").contains(namedId.publicId());
        assertThat(rogueKeys).as("no key is banned for an address that answered nothing: it rests")
                .noneMatch(k -> banned(victim, k));

        // The keys that led nowhere rest for every commit: a second commit named with the same hints
        // comes from the real holder, and the silent address is not dialled for the keys still resting.
        List<PublicId> resting = LoopbackNet.ask(victim.gossip(), p -> rogueKeys.stream().filter(((GossipCore) p)::isResting).toList());
        String second = maker.commitAndAnnounce("the same hints again");
        CompletableFuture<FetchResult> again = victim.gossip().fetch(second, hints);
        GossipServiceTest.await(again::isDone, Duration.ofSeconds(90));
        assertThat(again).isCompletedWithValueMatching(r -> r.commit().equals(second));
        int silentResting = (int) resting.stream().filter(k -> rogueKeys.indexOf(k) % 3 == 1).count();
        // An address that proved nothing rests for every key the hints name there, dialled or not
        // (before round 34's second part, each key was dialled before it rested).
        assertThat(silentResting).as("keys naming the silent address resting, of %d; it was dialled %d times", ROUNDS, silentDials)
                .isEqualTo(ROUNDS);
        assertThat(silent.accepted() - silentDials).as("silent hints dialled again, of %d whose keys were resting", silentResting)
                .isLessThanOrEqualTo(ROUNDS - silentResting);
    }

    private static PeerEndpoint endpoint(PublicId node, int port) {
        return PeerEndpoint.newBuilder().setNode(node.toByteString()).setHost("127.0.0.1").setPort(port).build();
    }
}
