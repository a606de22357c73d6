package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A peer asking for peers as fast as its token bucket allows: each answer is up to 32 signed
 * records for a request of a few bytes, so answering every one made this node an amplifier (about
 * 50 answers a second, close to a megabyte a second, to one link).
 */
class GossipExchangeAmplificationTest {
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            GossipConfig.defaults(), new Random(1), SignatureCheck.envelopes());
    long now = 10_000_000;

    static final Gossip ASK = Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build();

    @Test
    void aPeerAskingForPeersInALoopIsAnsweredOncePerIntervalAndNotPenalised() {
        Peer teller = Peer.connectedTo(core, now);
        for (int i = 0; i < 40; i++) {
            core.onMessage(teller.id, Peer.announce(new Peer().hello(now)), now);
        }
        Peer asker = Peer.connectedTo(core, now);

        List<Send> answers = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            now += 10; // 100 requests a second: well inside the burst of its token bucket
            answers.addAll(exchangesTo(asker, core.onMessage(asker.id, ASK, now)));
        }
        assertThat(answers).as("answers to 150 requests in 1.5 s").hasSize(1);
        assertThat(answers.get(0).message().getPeerExchange().getNodesCount()).isGreaterThan(1);
        assertThat(core.score(asker.id)).isGreaterThanOrEqualTo(-0.0);

        now += PeerExchanges.EXCHANGE_ANSWER_MS;
        assertThat(exchangesTo(asker, core.onMessage(asker.id, ASK, now))).as("asked again after the interval").hasSize(1);

        // The interval is per link: another link's greeting request is answered at once.
        Peer again = Peer.connectedTo(core, now);
        assertThat(exchangesTo(again, core.onMessage(again.id, ASK, now))).hasSize(1);
    }

    @Test
    void anAskForMoreThanTwoBillionRecordsIsAnAskForTheUsualSample() {
        Peer teller = Peer.connectedTo(core, now);
        for (int i = 0; i < 40; i++) {
            core.onMessage(teller.id, Peer.announce(new Peer().hello(now)), now);
        }
        // max is a uint32: 2^31 and up read as a negative int in Java, and a negative count threw in the core's step.
        for (int max : new int[] {-1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            Peer asker = Peer.connectedTo(core, now);
            Gossip ask = Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(max)).build();
            List<Send> answers = exchangesTo(asker, core.onMessage(asker.id, ask, now));
            assertThat(answers).as("the answer to max %s", Integer.toUnsignedString(max)).hasSize(1);
            assertThat(answers.get(0).message().getPeerExchange().getNodesCount())
                    .isGreaterThan(1).isLessThanOrEqualTo(PeerExchanges.EXCHANGE_SIZE);
            assertThat(core.score(asker.id)).isGreaterThanOrEqualTo(-0.0);
        }
    }

    private static List<Send> exchangesTo(Peer peer, List<Effect> effects) {
        return only(effects, Send.class).stream().filter(s -> s.to().equals(peer.id) && s.message().hasPeerExchange()).toList();
    }
}
