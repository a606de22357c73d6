package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer every message of which makes the core's step throw (round 29 tested one throw): the
 * real core behind a proxy whose onMessage throws for every message of one honest peer, which
 * announces commits as any node does. Each throw costs the peer as a malformed message, so it is
 * cut off and banned at the core's thresholds; after that its messages never reach the core again
 * (no link lives long enough to carry them), however often it announces, and the node's log holds
 * each call site to its budget. The core's part (a ban that holds, no dial of the banned peer
 * however long it runs) is {@code gossip.core.AlwaysThrowingPeerTest}'s, on virtual time.
 */
class AlwaysThrowingStepLoopbackTest extends LoopbackTest {
    final NodeLog logged = new NodeLog();

    @AfterEach
    void detach() {
        logged.close();
    }

    @Test
    void aPeerEveryMessageOfWhichThrowsIsCutOffAndBannedAndItsLaterMessagesCostNothing() throws Exception {
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), Identity.generate(), Wants.everything(), null, true);
        Identity victimId = Identity.generate();
        AtomicInteger threw = new AtomicInteger();
        AtomicInteger linkUps = new AtomicInteger();
        AtomicReference<GossipCore> real = new AtomicReference<>();
        LoopbackNet.Started victim = net.startWith(tmp.resolve("victim"), victimId, self -> {
            real.set(new GossipCore(victimId, self, GossipConfig.defaults(), new SecureRandom(), SignatureCheck.envelopes(),
                    Wants.everything()));
            return throwingForEveryMessageOf(real.get(), maker.id(), threw, linkUps);
        }, null, () -> List.copyOf(net.directory));
        // Asked of the real core: the node's own protocol is the proxy.
        BooleanSupplier victimLinked = () -> LoopbackNet.<Boolean>ask(victim.gossip(), p -> real.get().connectedPeers().contains(maker.id()));
        GossipServiceTest.await(() -> victimLinked.getAsBoolean(), Duration.ofSeconds(60));
        logged.watch();
        long started = System.nanoTime();

        // Each announcement is a message to the victim: 8 at -8 each reach the ban (-64).
        for (int i = 0; i < 12 && !victim.bans(maker.id()); i++) {
            maker.commitAndAnnounce("announced " + i);
            int before = threw.get();
            GossipServiceTest.await(() -> threw.get() > before || victim.bans(maker.id()) || !victimLinked.getAsBoolean(),
                    Duration.ofSeconds(60));
            if (!victimLinked.getAsBoolean() && !victim.bans(maker.id())) {
                // Cut off at -32 before the ban: the maker (or the victim, once the score has decayed) links again.
                GossipServiceTest.await(() -> victimLinked.getAsBoolean() || victim.bans(maker.id()), Duration.ofSeconds(120));
            }
        }
        GossipServiceTest.await(() -> victim.bans(maker.id()), Duration.ofSeconds(60));
        GossipServiceTest.await(() -> !victimLinked.getAsBoolean() && !maker.linkedTo(victimId.publicId()), Duration.ofSeconds(60));
        int atTheBan = threw.get();

        // It links again (its core keeps its degree): each link is refused as it comes up, and its
        // announcements meanwhile reach no step.
        int linkUpsAtTheBan = linkUps.get();
        for (int i = 0; i < 3; i++) {
            maker.commitAndAnnounce("after the ban " + i);
        }
        GossipServiceTest.await(() -> linkUps.get() > linkUpsAtTheBan, Duration.ofSeconds(180));
        maker.commitAndAnnounce("after its link was refused");
        GossipServiceTest.await(() -> !victimLinked.getAsBoolean(), Duration.ofSeconds(60));

        assertThat(threw.get()).as("steps of the banned peer's messages").isEqualTo(atTheBan);
        assertThat(atTheBan).as("messages that threw before the ban: the thresholds, not the peer's pace")
                .isBetween(4, 16);
        assertThat(victimLinked.getAsBoolean()).isFalse();
        assertThat(logged.lines()).as("each throw logged at ERROR naming the peer")
                .anyMatch(e -> e.getLevel() == Level.ERROR && e.getFormattedMessage().contains(maker.id().shortForm()));
        assertThat(logged.lines().stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).count())
                .as("WARN and ERROR lines in all").isLessThanOrEqualTo(40);
        logged.assertWarningsWithinBudget(started);
    }

    /** {@code core}, whose step for every message from {@code peer} throws before it is run; its link-ups counted. */
    private static PeerProtocol throwingForEveryMessageOf(GossipCore core, PublicId peer, AtomicInteger threw,
                                                          AtomicInteger linkUps) {
        return (PeerProtocol) Proxy.newProxyInstance(PeerProtocol.class.getClassLoader(), new Class<?>[] {PeerProtocol.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("onConnected") && peer.equals(args[0])) {
                        linkUps.incrementAndGet();
                    }
                    if (method.getName().equals("onMessage") && peer.equals(args[0])) {
                        threw.incrementAndGet();
                        throw new IllegalStateException("a case the core did not expect");
                    }
                    try {
                        return method.invoke(core, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
