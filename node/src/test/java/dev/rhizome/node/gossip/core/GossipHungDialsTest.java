package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Dials to addresses that take the connection and answer late or never (a gone host with its port
 * open, a rogue that accepts and stalls) on virtual time: such a dial gives up its degree slot after
 * {@link Dialer#SLOW_DIAL_MS}, so it does not keep the node from linking peers that answer; what
 * that costs stays bounded (dials in flight), and what it could give a rogue does not grow (links
 * past the degree, the listed peers' share of dials).
 */
class GossipHungDialsTest {
    /** The driver's handshake deadline: a dial to an address that never answers is reported failed after it. */
    static final long HANDSHAKE_DEADLINE_MS = 10_000;
    static final long TICK_MS = 250;
    final GossipConfig config = GossipConfig.defaults();
    final long now = 300_000_000;

    @Test
    void dialsToHostsThatNeverAnswerStayUnderTheCapAndTheRememberedStillTakeMostDials() {
        GossipCore core = GossipRestartFromRememberedPeersTest.core(7);
        List<NodeInfo> hung = new ArrayList<>();
        for (int i = 0; i < RememberedPeers.REMEMBERED_PEERS; i++) {
            hung.add(new Peer().info.toBuilder().setTimeMs(now).build());
        }
        Set<PublicId> listed = new HashSet<>();
        List<NodeInfo> listedInfos = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Peer p = new Peer();
            listed.add(p.id);
            listedInfos.add(p.info.toBuilder().setTimeMs(now).build());
        }
        Map<PublicId, Long> failsAt = new HashMap<>();
        List<Effect> effects = new ArrayList<>(core.start(hung, now));
        int mostInFlight = 0;
        int dialsSinceTheAnswer = 0;
        int listedDials = 0;
        int dials = 0;
        for (long t = now; t < now + 60_000; t += TICK_MS) {
            if (t == now + 1_000) {
                effects.addAll(core.learn(listedInfos, t));
            }
            for (Dial d : only(effects, Dial.class)) {
                PublicId id = PublicId.of(d.peer().getNode());
                failsAt.put(id, t + HANDSHAKE_DEADLINE_MS);
                dials++;
                if (t > now + 1_000 && t < now + 1_000 + HANDSHAKE_DEADLINE_MS) {
                    // From the answer until the first listed dials fail (a listed peer that failed is dialled as any other).
                    dialsSinceTheAnswer++;
                    listedDials += listed.contains(id) ? 1 : 0;
                }
            }
            effects.clear();
            mostInFlight = Math.max(mostInFlight, failsAt.size());

            for (var it = failsAt.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() <= t + TICK_MS) {
                    it.remove();
                    effects.addAll(core.onDialFailed(e.getKey(), t + TICK_MS));
                }
            }
            effects.addAll(core.onTick(t + TICK_MS));
        }
        assertThat(dials).as("slow dials give their slots to new ones").isGreaterThan(6 * 60_000 / (int) HANDSHAKE_DEADLINE_MS);
        assertThat(mostInFlight).as("dials in flight at once").isEqualTo(Dialer.maxDialsInFlight(config));
        assertThat(listedDials).as("dials to the 8 listed peers: some at once, the remembered taking the most of %d", dialsSinceTheAnswer)
                .isGreaterThanOrEqualTo(Dialer.LISTED_AT_ONCE).isLessThan(dialsSinceTheAnswer / 2);
    }

    /**
     * A rogue's addresses stall every dial, then answer together: each dial had given up its slot,
     * so the node had dials out to many more of them than its degree, and taking every late answer
     * would make its links all the rogue's outbound ones, up to the most it takes, with none left for
     * peers dialling in. A late answer is taken only while the node is short of its degree.
     */
    @Test
    void slowDialsThatAnswerTogetherTakeNoMoreLinksThanTheDegree() throws Exception {
        GossipCore core = GossipRestartFromRememberedPeersTest.core(8);
        Map<PublicId, Peer> rogue = new HashMap<>();
        List<NodeInfo> infos = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Peer p = new Peer();
            rogue.put(p.id, p);
            infos.add(p.info.toBuilder().setTimeMs(now).build());
        }
        Map<PublicId, Long> answersAt = new HashMap<>();
        List<Effect> effects = new ArrayList<>(core.start(infos, now));
        int refused = 0;
        for (long t = now; t < now + 30_000; t += TICK_MS) {
            for (Dial d : only(effects, Dial.class)) {
                answersAt.put(PublicId.of(d.peer().getNode()), t + 9_000);
            }
            refused += (int) only(effects, Disconnect.class).stream()
                    .filter(d -> d.reason().startsWith("dial answered after giving up its slot")).count();
            effects.clear();
            for (var it = answersAt.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() <= t + TICK_MS) {
                    it.remove();
                    Peer p = rogue.get(e.getKey());
                    effects.addAll(core.onConnected(p.id, GossipRestartFromRememberedPeersTest.verified(p, t), true, t + TICK_MS));
                }
            }
            effects.addAll(core.onTick(t + TICK_MS));
            assertThat(core.connectedPeers().size()).as("links at %d ms", t - now).isLessThanOrEqualTo(config.degree());
        }
        assertThat(core.connectedPeers()).hasSize(config.degree());
        assertThat(refused).as("late answers turned away").isPositive();
    }
}
