package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The gossip core under a sequence of the fuzzer's events with virtual time: links up and down,
 * dial failures, announcements, results and peer exchanges signed by any of a few peers (or any
 * bytes parsed as a message), wire violations, time steps and ticks, wants, and the fetcher's
 * reports. Holds: no exception; the seen cache and peer table within their bounds; never two
 * fetches of one commit outstanding; and peer 0, which only sends what it signed itself, freshly,
 * and fails a fetch only as an honest peer can, is never shunned or banned for what the others sent.
 */
class GossipCoreFuzzTest {
    private static final int PEERS = 4;
    private static final int COMMITS = 8;
    private static final long T0 = 50_000_000;
    private static final List<Peer> PEER_LIST = new ArrayList<>();
    /** Signing dominates: the rogues' records are signed once, at T0, for every commit. */
    private static final List<Gossip> SIGNED = new ArrayList<>();

    static {
        for (int i = 0; i < PEERS; i++) {
            PEER_LIST.add(new Peer());
        }
        for (Peer p : PEER_LIST) {
            for (int c = 0; c < COMMITS; c++) {
                SIGNED.add(Peer.announce(p.inventory(T0, Peer.commit(c), Peer.commit((c + 1) % COMMITS))));
                SIGNED.add(Peer.announce(p.result(T0, Peer.commit(c))));
            }
            SIGNED.add(Peer.announce(Peer.tampered(p.inventory(T0, Peer.commit(0)))));
        }
        List<SignedEnvelope> hellos = PEER_LIST.stream().map(q -> q.hello(T0)).toList();
        SIGNED.add(Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder().addAllNodes(hellos)).build());
    }

    private static final Peer HONEST = PEER_LIST.get(0);
    /**
     * How an honest holder's fetch fails: never "not found" (it announces only what it holds, and
     * a claim it does not withdraw is scored as false) nor a stall (its transfers make progress).
     */
    private static final FetchFailure[] HONEST_FAILURES = {FetchFailure.CONNECTION_LOST, FetchFailure.TOO_LARGE};

    @FuzzTest(maxDuration = "2m")
    void anySequenceOfEventsKeepsTheCoresInvariants(FuzzedDataProvider data) {
        GossipConfig config = GossipBoundedStateTest.SMALL;
        GossipCore core = new GossipCore(new Peer().identity, NodeInfo.newBuilder().setHost("h").setPort(1).build(),
                config, new Random(data.consumeLong()), TestNet.SIGNATURES,
                data.consumeBoolean() ? Wants.everything() : Wants.workAndReplicas(data.consumeInt(1, 3)));
        State state = new State();
        long now = T0;
        state.apply(core.start(List.of(), now));
        for (int step = 0; step < 64 && data.remainingBytes() > 0; step++) {
            int p = data.consumeInt(0, PEERS - 1);
            Peer peer = PEER_LIST.get(p);
            boolean honest = peer == HONEST;
            List<Effect> effects = switch (data.consumeInt(0, 11)) {
                case 0 -> core.onConnected(peer.id, peer.hello(now), data.consumeBoolean(), now);
                case 1 -> core.onDisconnected(peer.id, now);
                case 2 -> core.onDialFailed(peer.id, now);
                case 3 -> core.onMessage(peer.id, honest ? honestMessage(data, now) : data.pickValue(SIGNED), now);
                case 4 -> honest ? List.of() : rogueBytes(core, peer, data.consumeBytes(512), now);
                case 5 -> honest ? List.of() : core.onViolation(peer.id, data.pickValue(Violation.values()), now);
                case 6 -> {
                    // An honest holder's transfer makes progress: time moves past a stall only when it has none.
                    state.apply(state.honestProgress(core, now));
                    now += data.consumeLong(0, state.honestFetching() ? config.fetchStall().toMillis() / 2 : 600_000);
                    yield core.onTick(now);
                }
                case 7 -> core.want(commit(data), List.of(peer.id), now);
                case 8 -> state.report(core, data, now);
                case 9 -> data.consumeBoolean() ? core.onHeld(commit(data), data.consumeBoolean(), now)
                        : core.onDropped(List.of(commit(data)), now);
                case 10 -> core.onStarved(data.consumeLong(0, 60_000), now);
                default -> core.onServed(peer.id, commit(data), now);
            };
            state.apply(effects);
            GossipStats stats = core.stats();
            assertThat(stats.seenCacheSize()).isLessThanOrEqualTo(config.maxSeen());
            assertThat(stats.peerTableSize()).isLessThanOrEqualTo(config.maxKnownPeers());
            assertThat(core.isBanned(HONEST.id, now)).as("the honest peer banned").isFalse();
        }
    }

    private static String commit(FuzzedDataProvider data) {
        return Peer.commit(data.consumeInt(0, COMMITS - 1));
    }

    /** What the honest peer says: its own holdings or results, signed now. */
    private static Gossip honestMessage(FuzzedDataProvider data, long now) {
        return data.consumeBoolean() ? Peer.announce(HONEST.inventory(now, commit(data)))
                : Peer.announce(HONEST.result(now, commit(data)));
    }

    /** Any bytes a rogue sends: a message if they parse as one, else the adapter's violation. */
    private static List<Effect> rogueBytes(GossipCore core, Peer peer, byte[] bytes, long now) {
        try {
            return core.onMessage(peer.id, Gossip.parseFrom(bytes), now);
        } catch (InvalidProtocolBufferException e) {
            return core.onViolation(peer.id, Violation.MALFORMED_FRAME, now);
        }
    }

    /** The fetcher's side: fetches outstanding, by commit, and the reports it owes. */
    private static final class State {
        private final Map<String, Effect.Fetch> outstanding = new HashMap<>();
        private long honestBytes;

        boolean honestFetching() {
            return outstanding.values().stream().anyMatch(f -> f.from().equals(HONEST.id));
        }

        List<Effect> honestProgress(GossipCore core, long now) {
            List<Effect> effects = new ArrayList<>();
            for (Effect.Fetch fetch : List.copyOf(outstanding.values())) {
                if (fetch.from().equals(HONEST.id)) {
                    honestBytes += 64 << 10;
                    effects.addAll(core.onFetchProgress(fetch.from(), fetch.commit(), honestBytes, now));
                }
            }
            return effects;
        }

        void apply(List<Effect> effects) {
            for (Effect effect : effects) {
                if (effect instanceof Effect.Fetch fetch) {
                    assertThat(outstanding).as("a second fetch of %s (from %s) while one is outstanding", fetch.commit(),
                            fetch.from()).doesNotContainKey(fetch.commit());
                    outstanding.put(fetch.commit(), fetch);
                } else if (effect instanceof Effect.CancelFetch cancel) {
                    outstanding.remove(cancel.commit(), new Effect.Fetch(cancel.from(), cancel.commit()));
                } else if (effect instanceof Effect.Shun shun) {
                    assertThat(shun.peer()).as("the honest peer shunned").isNotEqualTo(HONEST.id);
                }
            }
        }

        /** Reports one outstanding fetch's progress, success or failure (the honest peer's only as it can fail). */
        List<Effect> report(GossipCore core, FuzzedDataProvider data, long now) {
            if (outstanding.isEmpty()) {
                return List.of();
            }
            List<Effect.Fetch> fetches = new ArrayList<>(outstanding.values());
            fetches.sort((a, b) -> a.commit().compareTo(b.commit()));
            Effect.Fetch fetch = fetches.get(data.consumeInt(0, fetches.size() - 1));
            boolean honest = fetch.from().equals(HONEST.id);
            return switch (data.consumeInt(0, 2)) {
                // A transfer's count only grows; the honest peer's grows as its own transfers do (a
                // count from nowhere, below what it reported before, is not what an honest holder sends).
                case 0 -> core.onFetchProgress(fetch.from(), fetch.commit(),
                        honest ? (honestBytes += data.consumeLong(0, 1L << 20)) : data.consumeLong(0, 1L << 30), now);
                case 1 -> {
                    outstanding.remove(fetch.commit());
                    yield core.onFetched(fetch.from(), fetch.commit(), data.consumeLong(0, 1L << 30), now);
                }
                default -> {
                    outstanding.remove(fetch.commit());
                    FetchFailure failure = data.pickValue(honest ? HONEST_FAILURES : FetchFailure.values());
                    yield core.onFetchFailed(fetch.from(), fetch.commit(), failure, now);
                }
            };
        }
    }
}
