package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.ClockSkew;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.node.gossip.core.Effect.SignedSelf;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's two clocks, on virtual time: its timers run on the {@code nowMs} it is handed (the
 * driver's monotonic clock), while what it signs is dated, and what it receives judged, by the wall
 * clock the driver tells it of ({@link GossipCore#onWallClock}). A step of the wall clock either way
 * re-dates the hello at once and moves no timer.
 */
class GossipWallClockTest {
    static final long HOUR = 3_600_000;
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), GossipConfig.defaults(), new Random(1),
            SignatureCheck.envelopes());
    long now = 10_000_000;

    @Test
    void aStepOfTheWallClockEitherWayRedatesTheHelloAtOnce() throws Exception {
        core.start(List.of(), now);
        for (long step : new long[] {2 * HOUR, -3 * HOUR}) {
            long wall = now + 5 + step;
            List<SignedSelf> signed = only(core.onWallClock(wall, now += 5), SignedSelf.class);
            assertThat(signed).hasSize(1);
            assertThat(NodeInfo.parseFrom(signed.get(0).nodeInfo().getPayload()).getTimeMs()).isEqualTo(wall);
        }
    }

    @Test
    void theWallClockMovingLessThanASecondAsNtpSlewsItIsNoStep() {
        core.start(List.of(), now);
        core.onWallClock(now + 40, now);
        assertThat(core.onWallClock(now + 1_000 + 40 + 900, now += 1_000)).isEmpty();
    }

    @Test
    void linksOutliveAStepOnPastTheIdleLimitAndTicksGoOnAfterAStepBack() {
        Peer peer = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        effects.addAll(core.onWallClock(now + 2 * HOUR, now));
        for (int i = 0; i < 10; i++) {
            effects.addAll(core.onTick(now += 1_000));
        }
        effects.addAll(core.onWallClock(now - HOUR, now));
        long asked = core.nextWakeupMs();
        assertThat(asked).as("the next tick is due by the core's clock, not put off by the step").isLessThanOrEqualTo(now + 1_000);
        for (int i = 0; i < 10; i++) {
            effects.addAll(core.onTick(now += 1_000));
        }
        assertThat(only(effects, Disconnect.class)).isEmpty();
        assertThat(core.connectedPeers()).contains(peer.id);
    }

    @Test
    void recordsAreDatedAndJudgedByTheWallClock() throws Exception {
        Peer peer = Peer.connectedTo(core, now);
        long wall = now + 2 * HOUR;
        core.onWallClock(wall, now);

        // Dated by the core's own clock, an Inventory is two hours behind our wall clock; dated by the wall clock, it is heard.
        assertThat(only(peer.announces(core, now, Peer.commit(1)), ClockSkew.class)).hasSize(1);
        assertThat(only(core.onMessage(peer.id, Peer.announce(peer.inventory(wall, Peer.commit(2))), now), ClockSkew.class))
                .isEmpty();
        assertThat(core.stats().invalid()).isEqualTo(1);

        List<Send> told = only(core.onLocalCommit(Peer.commit(3), now += 1), Send.class);
        assertThat(told).isNotEmpty();
        Inventory inventory = Inventory.parseFrom(told.get(0).message().getAnnouncement().getPayload());
        assertThat(inventory.getTimeMs()).isEqualTo(wall + 1);
    }
}
