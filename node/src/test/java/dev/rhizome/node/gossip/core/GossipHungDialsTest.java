package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelDial;
import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
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
            assertThat(only(effects, CancelDial.class)).as("dials given up by a node short of its degree").isEmpty();
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
            for (CancelDial c : only(effects, CancelDial.class)) {
                answersAt.remove(c.peer()); // the driver closed its socket: no answer comes
                refused++;
            }
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
        assertThat(refused).as("late answers turned away, or their dials given up").isPositive();
    }

    /**
     * Once the node holds its degree, a slow dial is given up (its socket closed by the driver)
     * rather than left to answer and be turned away: a late answer turned away still cost a handshake
     * on both ends. Only dials past {@link Dialer#SLOW_DIAL_MS}, only while the degree is held, and the
     * degree is held to the end.
     */
    @Test
    void slowDialsAreGivenUpOnceTheDegreeIsHeld() throws Exception {
        GossipCore core = GossipRestartFromRememberedPeersTest.core(10);
        Map<PublicId, Peer> byId = new HashMap<>();
        Set<PublicId> slow = new HashSet<>();
        List<NodeInfo> infos = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Peer p = new Peer();
            byId.put(p.id, p);
            if (i % 2 == 0) {
                slow.add(p.id);
            }
            infos.add(p.info.toBuilder().setTimeMs(now).build());
        }
        Map<PublicId, Long> dialledAt = new HashMap<>();
        Map<PublicId, Long> answersAt = new HashMap<>();
        Map<PublicId, Long> failsAt = new HashMap<>();
        List<Effect> effects = new ArrayList<>(core.start(infos, now));
        int givenUp = 0;
        for (long t = now; t < now + 60_000; t += TICK_MS) {
            for (Dial d : only(effects, Dial.class)) {
                PublicId id = PublicId.of(d.peer().getNode());
                dialledAt.put(id, t);
                if (slow.contains(id)) {
                    failsAt.put(id, t + HANDSHAKE_DEADLINE_MS); // the driver's deadline, unless given up first
                } else {
                    answersAt.put(id, t + 500);
                }
            }
            for (CancelDial c : only(effects, CancelDial.class)) {
                givenUp++;
                assertThat(slow).as("a dial given up").contains(c.peer());
                assertThat(t - dialledAt.get(c.peer())).as("age of a dial given up").isGreaterThanOrEqualTo(Dialer.SLOW_DIAL_MS);
                assertThat(core.connectedPeers()).as("links when a dial is given up").hasSizeGreaterThanOrEqualTo(config.degree());
                assertThat(failsAt.remove(c.peer())).as("given up while in flight").isNotNull();
            }
            effects.clear();
            long next = t + TICK_MS;
            for (var it = answersAt.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() <= next) {
                    it.remove();
                    Peer p = byId.get(e.getKey());
                    effects.addAll(core.onConnected(p.id, GossipRestartFromRememberedPeersTest.verified(p, next), true, next));
                }
            }
            for (var it = failsAt.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() <= next) {
                    it.remove();
                    effects.addAll(core.onDialFailed(e.getKey(), next));
                }
            }
            effects.addAll(core.onTick(next));
        }
        assertThat(givenUp).as("slow dials given up").isPositive();
        assertThat(core.connectedPeers()).hasSize(config.degree());
    }

    /**
     * A rogue whose addresses answer every dial on purpose just after it gave up its slot, while
     * honest peers' links come and go so the node keeps dialling: each late answer is turned away
     * (the degree is held), and was counted a success, its failures cleared and its key recorded as
     * the address's owner, so the address was dialled again at once, a handshake spent and a dial in
     * flight held to its answer each time. A late answer turned away now backs the address off as a
     * failure would, doubling each time, with no penalty: an honest slow peer is dialled later.
     */
    @Test
    void aRogueAnsweringLateOnPurposeIsDialledAgainOnlyAfterAGrowingBackoff() throws Exception {
        lateAnswers(false);
    }

    /** As above, the rogue telling the node of a fresh key at each address it was turned away from: the backoff is the address's. */
    @Test
    void aFreshKeyAtTheAddressDoesNotShortenItsBackoff() throws Exception {
        lateAnswers(true);
    }

    private void lateAnswers(boolean freshKeys) throws Exception {
        GossipCore core = GossipRestartFromRememberedPeersTest.core(9);
        Map<PublicId, Identity> keys = new HashMap<>();
        Map<PublicId, NodeInfo> records = new HashMap<>();
        Set<String> rogue = new HashSet<>();
        List<NodeInfo> infos = new ArrayList<>();
        for (int i = 0; i < 42; i++) {
            Peer p = new Peer();
            keys.put(p.id, p.identity);
            records.put(p.id, p.info);
            if (i < 30) {
                rogue.add(AddressDials.address(p.info));
            }
            infos.add(p.info.toBuilder().setTimeMs(now).build());
        }
        long rogueAnswerMs = Dialer.SLOW_DIAL_MS + 7_000; // late, and within the driver's handshake deadline
        long honestAnswerMs = 500;
        long honestLinkMs = 15_000;
        Map<PublicId, Long> answersAt = new HashMap<>();
        Map<PublicId, Long> closesAt = new HashMap<>();
        // Each late answer turned away, with how many in a row its address had (a late answer taken, while the node was short, ends a row).
        Map<String, List<long[]>> turnedAway = new HashMap<>();
        Map<String, Integer> inARow = new HashMap<>();
        Map<String, List<Long>> dialled = new HashMap<>();
        List<Effect> effects = new ArrayList<>(core.start(infos, now));
        for (long t = now; t < now + 600_000; t += TICK_MS) {
            List<NodeInfo> freshOnes = new ArrayList<>();
            for (Dial d : only(effects, Dial.class)) {
                PublicId id = PublicId.of(d.peer().getNode());
                String address = AddressDials.address(d.peer());
                dialled.computeIfAbsent(address, k -> new ArrayList<>()).add(t);
                answersAt.put(id, t + (rogue.contains(address) ? rogueAnswerMs : honestAnswerMs));
            }
            // A late answer turned away, or a slow dial given up before it could answer (the degree held): backed off alike.
            List<PublicId> away = new ArrayList<>();
            for (Disconnect d : only(effects, Disconnect.class)) {
                if (d.reason().startsWith("dial answered after giving up its slot")) {
                    assertThat(d.routine()).as("a late answer is no misbehaviour").isTrue();
                    away.add(d.peer());
                }
                closesAt.remove(d.peer());
            }
            for (CancelDial c : only(effects, CancelDial.class)) {
                answersAt.remove(c.peer()); // the driver closed its socket: no answer comes
                away.add(c.peer());
            }
            for (PublicId id : away) {
                String address = AddressDials.address(records.get(id));
                assertThat(rogue).as("turned away for answering late").contains(address);
                turnedAway.computeIfAbsent(address, k -> new ArrayList<>()).add(new long[] {t, inARow.merge(address, 1, Integer::sum)});
                if (freshKeys) {
                    Identity fresh = Identity.generate();
                    NodeInfo info = records.get(id).toBuilder().setNode(fresh.publicId().toByteString()).build();
                    keys.put(fresh.publicId(), fresh);
                    records.put(fresh.publicId(), info);
                    freshOnes.add(info.toBuilder().setTimeMs(t).build());
                }
            }
            effects.clear();
            long next = t + TICK_MS;
            if (!freshOnes.isEmpty()) {
                effects.addAll(core.learn(freshOnes, next));
            }
            for (var it = answersAt.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() <= next) {
                    it.remove();
                    PublicId id = e.getKey();
                    Verified<NodeInfo> hello = Envelopes.openSignedBy(Envelopes.sign(keys.get(id),
                            records.get(id).toBuilder().setTimeMs(next).build()), NodeInfo.getDefaultInstance(), NodeInfo::getNode);
                    List<Effect> answer = core.onConnected(id, hello, true, next);
                    if (core.connectedPeers().contains(id)) {
                        inARow.remove(AddressDials.address(records.get(id)));
                        closesAt.put(id, next + honestLinkMs);
                    }
                    effects.addAll(answer);
                }
            }
            for (var it = closesAt.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() <= next) {
                    it.remove();
                    effects.addAll(core.onDisconnected(e.getKey(), next));
                }
            }
            effects.addAll(core.onTick(next));
        }
        assertThat(turnedAway).as("addresses whose late answers were turned away").isNotEmpty();
        for (var e : turnedAway.entrySet()) {
            List<Long> dials = dialled.get(e.getKey());
            for (long[] away : e.getValue()) {
                long at = away[0];
                int n = (int) away[1];
                long backoff = Math.min(config.redialMax().toMillis(), config.redialBase().toMillis() << Math.min(n - 1, 20));
                long nextDial = dials.stream().filter(d -> d > at).findFirst().orElse(Long.MAX_VALUE);
                assertThat(nextDial - at).as("wait before dialling again an address turned away %d times", n)
                        .isGreaterThanOrEqualTo(backoff / 2);
            }
        }
    }
}
