package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's part of a peer every message of which makes its step throw: the driver charges each
 * as a malformed message ({@link Violation#FAILED_MESSAGE}, what {@code net.LinkEvents} does with
 * a step that throws). Two hours of virtual time, the core ticking every 100 ms, the peer dialled
 * by the core when it asks and dialling in itself every 5 s, sending a message a second on every
 * link it gets. The peer is cut off at the disconnect threshold and banned at the ban threshold,
 * never dialled once banned, every link it makes after the ban refused as it comes up, and the
 * messages charged are bounded by the thresholds, not by two hours of its pace.
 * The wire's part is {@code net.AlwaysThrowingStepLoopbackTest}'s.
 */
class AlwaysThrowingPeerTest {
    static final long HOUR = 3_600_000L;
    final long start = 70_000_000;
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            GossipConfig.defaults(), new Random(30), SignatureCheck.envelopes());
    final Peer thrower = new Peer();

    @Test
    void aPeerEveryMessageOfWhichThrowsIsBannedAtTheThresholdAndNeitherDialledNorLinkedWhileBanned() throws Exception {
        boolean linked = false;
        int charged = 0;
        int dials = 0;
        int bans = 0;
        int dialsWhileBanned = 0;
        int linksWhileBanned = 0;
        int chargedBeforeFirstBan = -1;
        boolean wasBanned = false;
        long lastMessage = start;
        long lastDialIn = start;
        List<Effect> pending = core.start(List.of(thrower.info.toBuilder().setTimeMs(start).build()), start);
        for (long now = start; now < start + 2 * HOUR; now += 100) {
            List<Effect> effects = new ArrayList<>(pending);
            pending = List.of();
            effects.addAll(core.onTick(now));
            boolean banned = core.isBanned(thrower.id, now);
            if (banned && !wasBanned) {
                bans++;
                if (chargedBeforeFirstBan < 0) {
                    chargedBeforeFirstBan = charged;
                }
            }
            wasBanned = banned;
            boolean dialled = effects.stream().anyMatch(e -> e instanceof Effect.Dial d && d.peer().getNode().equals(thrower.id.toByteString()));
            if (dialled) {
                dials++;
                dialsWhileBanned += banned ? 1 : 0;
            }
            boolean dialIn = !dialled && !linked && now - lastDialIn >= 5_000;
            if (dialIn) {
                lastDialIn = now;
            }
            if (dialled || dialIn) {
                List<Effect> up = core.onConnected(thrower.id, GossipSkewedPeerInventoryTest.verified(thrower, now), dialled, now);
                linked = up.stream().noneMatch(e -> e instanceof Effect.Disconnect d && d.peer().equals(thrower.id));
                linksWhileBanned += linked && banned ? 1 : 0;
                if (!linked) {
                    core.onDisconnected(thrower.id, now);  // the driver closes the refused connection
                }
            }
            if (linked && now - lastMessage >= 1_000) {
                lastMessage = now;
                charged++;
                List<Effect> charge = core.onViolation(thrower.id, Violation.FAILED_MESSAGE, now);
                if (charge.stream().anyMatch(e -> e instanceof Effect.Disconnect d && d.peer().equals(thrower.id))) {
                    linked = false;
                    core.onDisconnected(thrower.id, now);  // its connection closed by the driver
                }
            }
        }

        long banPeriods = 2 * HOUR / GossipConfig.defaults().banDuration().toMillis();
        assertThat(chargedBeforeFirstBan).as("messages that threw before the first ban: -8 each to the threshold")
                .isEqualTo((int) Math.ceil(-GossipConfig.defaults().banScore() / 8.0));
        assertThat(dialsWhileBanned).as("dials of the peer while banned").isZero();
        assertThat(linksWhileBanned).as("its links that came up while banned").isZero();
        assertThat(bans).as("bans in two hours").isBetween(1, (int) banPeriods + 1);
        assertThat(charged).as("messages charged in two hours: a threshold's worth a ban, not two hours at its pace (7,200)")
                .isLessThanOrEqualTo(bans * chargedBeforeFirstBan);
        assertThat(dials).as("our dials of it in two hours").isLessThanOrEqualTo(bans + 1);
        System.out.printf("always-throwing peer, 2 h virtual: %d bans, %d messages charged, %d dials%n", bans, charged, dials);
    }
}
