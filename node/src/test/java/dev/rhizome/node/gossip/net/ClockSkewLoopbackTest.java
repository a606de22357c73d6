package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Two honest nodes linked, then one's clock steps 13 minutes ahead (a wrong NTP step, a resumed
 * VM): each side's records now fall outside the other's time window (ahead of one clock, older than
 * the other allows). Round 26 scored each such record -2, so 16 announcements cut an honest node's
 * link and 32 banned it, both ways. Now they are refused and reported, not scored: neither bans nor
 * disconnects the other. Real gossip on loopback, the skewed node on a clock of its own.
 */
class ClockSkewLoopbackTest extends LoopbackTest {
    static final long STEP_MS = GossipConfig.defaults().maxClockSkew().plus(GossipConfig.defaults().seenTtl())
            .plusMinutes(1).toMillis();

    @Test
    void honestNodesWhoseClocksDisagreeByMoreThanTheSkewAreNeitherCutNorBanned() throws Exception {
        AtomicLong offset = new AtomicLong();
        Identity steadyId = Identity.generate();
        LoopbackNet.Started steady = net.start(tmp.resolve("steady"), steadyId, Wants.everything(), null, true);
        Identity skewedId = Identity.generate();
        LoopbackNet.Started skewed = net.startWith(tmp.resolve("skewed"), skewedId,
                GossipCore.factory(skewedId, GossipConfig.defaults(), Wants.everything()), null,
                () -> List.copyOf(net.directory), () -> System.currentTimeMillis() + offset.get());
        Duration budget = new LoadScaledBudget(Duration.ofSeconds(30), Duration.ofSeconds(120)).now();
        GossipServiceTest.await(() -> skewed.linkedTo(steady.id()) && steady.linkedTo(skewed.id()), budget);

        offset.set(STEP_MS);
        // 20 announcements each way, one at a time (one Inventory each): at -2 a record, 16 cut the link.
        for (int i = 0; i < 20; i++) {
            long steadyRefused = invalid(steady);
            long skewedRefused = invalid(skewed);
            skewed.commitAndAnnounce("ahead " + i);
            steady.commitAndAnnounce("steady " + i);
            GossipServiceTest.await(() -> invalid(steady) > steadyRefused && invalid(skewed) > skewedRefused, budget);
        }

        assertThat(steady.scoreOf(skewed.id())).as("the steady node's score of the skewed one").isZero();
        assertThat(skewed.scoreOf(steady.id())).as("the skewed node's score of the steady one").isZero();
        assertThat(steady.bans(skewed.id())).isFalse();
        assertThat(skewed.linkedTo(steady.id())).isTrue();
        assertThat(steady.linkedTo(skewed.id())).isTrue();
    }

    private static long invalid(LoopbackNet.Started node) {
        return LoopbackNet.ask(node.gossip(), p -> ((GossipCore) p).stats().invalid());
    }
}
