package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Honest behaviours that used to cost a node score at an honest neighbour, found by going through
 * every place the core lowers a score: announcing a backlog at once, and answering two peer
 * exchange requests. Two real cores on virtual time.
 */
class GossipHonestPeerTest {
    final GossipConfig config = GossipConfig.defaults();
    long now = 90_000_000;
    final GossipCore a = core();
    final GossipCore b = core();

    GossipCore core() {
        return new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.1").setPort(7000).build(), config,
                new Random(5), SignatureCheck.envelopes(), Wants.everything());
    }

    void link() {
        a.start(List.of(), now);
        b.start(List.of(), now);
        b.onConnected(a.id(), a.signedSelfInfo(now), false, now);
        a.onConnected(b.id(), b.signedSelfInfo(now), true, now);
    }

    /** Delivers {@code from}'s Sends to {@code to}; returns what {@code to} did. */
    List<Effect> deliver(GossipCore from, List<Effect> effects, GossipCore to) {
        return Effects.deliver(from, effects, to, now);
    }

    /**
     * A newer node may add a kind of gossip message (a field of {@code Gossip.body} this version
     * does not know); an older neighbour parsed it as a message with no body and scored it
     * malformed (-8), so four of them had the newer node banned. It is dropped at no cost now,
     * within the link's rate as any message; a message with no body at all is still malformed.
     */
    @Test
    void aGossipMessageOfAKindANewerVersionAddedCostsItsSenderNothing() {
        link();
        Gossip newer = Gossip.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(9, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("a newer kind")).build())
                .build()).build();
        for (int i = 0; i < 10; i++) {
            now += 1_000;
            b.onMessage(a.id(), newer, now);
        }
        assertThat(b.score(a.id())).isZero();
        assertThat(b.connectedPeers()).contains(a.id());

        b.onMessage(a.id(), Gossip.getDefaultInstance(), now);
        assertThat(b.score(a.id())).isNegative();
    }

    @Test
    void aNodeThatComesToHoldABacklogAtOnceIsNotTakenForAFlooder() {
        link();
        Set<String> fetched = new HashSet<>();
        // An agent imports 600 commits into the node at once (or it fetched them in a burst).
        for (int i = 0; i < 600; i++) {
            fetchAll(deliver(a, a.onLocalCommit(Peer.commit(10_000 + i), now), b), fetched);
        }
        for (int s = 0; s < 30 && fetched.size() < 600; s++) {
            now += 1_000;
            fetchAll(b.onTick(now), fetched);
            fetchAll(deliver(a, a.onTick(now), b), fetched);
        }

        assertThat(b.score(a.id())).isZero();
        assertThat(b.stats().rateLimited()).isZero();
        assertThat(b.connectedPeers()).contains(a.id());
        assertThat(fetched).as("every commit still announced").hasSize(600);
    }

    /**
     * A node that joins late (restarted after a week away, or new with a store of commits) holding a
     * backlog of 500 commits its neighbour lacks: its greeting and what follows it are honest, so
     * the neighbour must neither rate-limit nor score it, whichever way the backlog is named.
     */
    @Test
    void aLateJoinerHoldingABacklogOf500CommitsIsNeitherScoredNorRateLimited() {
        a.start(List.of(), now);
        b.start(List.of(), now);
        for (int i = 0; i < 500; i++) {
            a.onLocalCommit(Peer.commit(30_000 + i), now);
        }
        Set<String> fetched = new HashSet<>();
        List<Effect> fromB = new ArrayList<>(b.onConnected(a.id(), a.signedSelfInfo(now), false, now));
        List<Effect> fromA = new ArrayList<>(a.onConnected(b.id(), b.signedSelfInfo(now), true, now));
        for (int s = 0; s < 300 && fetched.size() < 500; s++) {
            for (int round = 0; round < 20 && !(fromA.isEmpty() && fromB.isEmpty()); round++) {
                List<Effect> toB = deliver(a, fromA, b);
                List<Effect> toA = deliver(b, fromB, a);
                fromB = fetchAllKeeping(toB, fetched);
                fromA = new ArrayList<>(toA);
            }
            now += 1_000;
            fromA.addAll(a.onTick(now));
            fromB.addAll(fetchAllKeeping(b.onTick(now), fetched));
        }

        assertThat(b.score(a.id())).as("the late joiner's score at its neighbour").isZero();
        assertThat(a.score(b.id())).as("the neighbour's score at the late joiner").isZero();
        assertThat(b.stats().rateLimited()).isZero();
        assertThat(a.stats().rateLimited()).isZero();
        assertThat(b.connectedPeers()).contains(a.id());
        assertThat(a.connectedPeers()).contains(b.id());
        assertThat(fetched).as("every commit of the backlog reached the neighbour").hasSize(500);
    }

    /** {@code effects} and what completing every fetch among them (and those they lead to) made {@code b} do. */
    List<Effect> fetchAllKeeping(List<Effect> effects, Set<String> fetched) {
        List<Effect> out = new ArrayList<>(effects);
        List<Fetch> todo = new ArrayList<>(only(effects, Fetch.class));
        while (!todo.isEmpty()) {
            Fetch f = todo.remove(todo.size() - 1);
            fetched.add(f.commit());
            List<Effect> next = b.onFetched(f.from(), f.commit(), 1_000, now);
            out.addAll(next);
            todo.addAll(only(next, Fetch.class));
        }
        out.removeIf(e -> e instanceof Fetch);
        return out;
    }

    /** Completes every fetch {@code b} starts, and those they lead to. */
    void fetchAll(List<Effect> effects, Set<String> fetched) {
        List<Fetch> todo = new ArrayList<>(only(effects, Fetch.class));
        while (!todo.isEmpty()) {
            Fetch f = todo.remove(todo.size() - 1);
            fetched.add(f.commit());
            todo.addAll(only(b.onFetched(f.from(), f.commit(), 1_000, now), Fetch.class));
        }
    }

    @Test
    void aNodeWhoseOwnDownloadCapHoldsItsFetchesBackDoesNotBlameTheHolders() {
        for (boolean capped : new boolean[] {true, false}) {
            GossipCore asker = core();
            asker.start(List.of(), now);
            if (capped) {
                asker.capDownloads(16 * 1024); // the volunteer's 16 KiB/s, shared by up to 4 fetches
            }
            Peer holder = Peer.connectedTo(asker, now);
            long t = now;
            assertThat(only(holder.announces(asker, t, Peer.commit(5)), Fetch.class)).hasSize(1);
            long bytes = 0;
            for (int s = 0; s < 60; s++) {
                t += 1_000;
                bytes += 2_500; // what a quarter of the cap brings, under the uncapped floor of 6.4 KB/s
                asker.onFetchProgress(holder.id, Peer.commit(5), bytes, t);
                asker.onTick(t);
            }
            if (capped) {
                assertThat(asker.stats().fetchesFailed()).as("capped: the fetch goes on").isZero();
            } else {
                // the floor holds: the crawling transfer is cut (and asked elsewhere), but bytes came,
                // so the holder is slow, not a staller, and is charged nothing (FetchFailure.SLOW)
                assertThat(asker.stats().fetchesFailed()).as("uncapped: the floor holds").isPositive();
            }
            assertThat(asker.score(holder.id)).as("the holder is never blamed (capped %s)", capped).isZero();
        }
    }

    @Test
    void twoPeerExchangeAnswersToTwoRequestsAreNotUnexpected() {
        link();
        // `b` asks twice before either answer arrives (a slow link, a reconnect): a keepalive, then a full ask.
        now += LinkLiveness.KEEPALIVE_MS;
        List<Effect> asks = new ArrayList<>(b.onTick(now));
        now += PeerExchanges.EXCHANGE_ANSWER_MS;
        asks.addAll(b.onTick(now + PeerExchanges.EXCHANGE_INTERVAL_MS));
        now += PeerExchanges.EXCHANGE_INTERVAL_MS;
        List<Send> requests = only(asks, Send.class).stream().filter(s -> s.to().equals(a.id())
                && s.message().getBodyCase() == Gossip.BodyCase.PEER_EXCHANGE_REQUEST).toList();
        assertThat(requests).hasSizeGreaterThanOrEqualTo(2);

        List<Effect> answers = new ArrayList<>();
        for (Send request : requests) {
            answers.addAll(a.onMessage(b.id(), request.message(), now));
            now += PeerExchanges.EXCHANGE_ANSWER_MS;
        }
        deliver(a, answers, b);

        assertThat(b.score(a.id())).isZero();
    }
}
