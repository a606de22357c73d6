package dev.rhizome.node.gossip.net;

import static dev.rhizome.node.gossip.net.GossipServiceTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose system clock steps (a correction, a resumed laptop, a volunteer setting the time),
 * on loopback, its wall clock injected: the core's timers run on the monotonic clock, so a step on
 * past the link idle limit closes no link as silent, and a step back does not put the next tick
 * off by the step; the hello is re-dated by the stepped clock at once. On the wall clock, the step
 * on closed the link at the next tick and the step back stopped the core's ticks for the step.
 */
class SteppedWallClockLoopbackTest {
    static final long HOURS_2 = 2 * 3_600_000L;
    static final LoadScaledBudget WAIT = new LoadScaledBudget(Duration.ofSeconds(20), Duration.ofSeconds(90));

    @TempDir
    Path tmp;

    @Test
    void aStepOnPastTheLinkIdleLimitClosesNoLink() throws Exception {
        linksStayUpAndTicksComeOnTimeAfterAStepOf(HOURS_2);
    }

    @Test
    void aStepBackPutsNoTickOff() throws Exception {
        linksStayUpAndTicksComeOnTimeAfterAStepOf(-HOURS_2);
    }

    private void linksStayUpAndTicksComeOnTimeAfterAStepOf(long stepMs) throws Exception {
        try (LoopbackNet net = new LoopbackNet()) {
            Started b = net.start(tmp.resolve("b"), Identity.generate(), Wants.everything(), null, true);
            AtomicLong step = new AtomicLong();
            LongSupplier wall = () -> System.currentTimeMillis() + step.get();
            Started a = startOn(net, tmp.resolve("a"), wall);
            await(() -> a.linkedTo(b.id()) && b.linkedTo(a.id()), WAIT.now());

            step.set(stepMs);
            long asked = LoopbackNet.ask(a.gossip(), PeerProtocol::nextWakeupMs);
            // Three ticks' worth of the core's time: its wakeups keep coming, at most a second apart.
            await(() -> LoopbackNet.ask(a.gossip(), PeerProtocol::nextWakeupMs) >= asked + 3_000, WAIT.now());
            assertThat(a.linkedTo(b.id())).as("still linked after the step").isTrue();
            assertThat(b.linkedTo(a.id())).isTrue();
            // Re-dated by the stepped clock (not left two hours out in peers' eyes until a re-sign).
            await(() -> Math.abs(helloTimeMs(a) - wall.getAsLong()) < 60_000, WAIT.now());
        }
    }

    /**
     * A node whose clock is two hours behind from the start: it reads the hellos of the peers that
     * link with it (two hours ahead to it), and says its clock is wrong in its status rather than
     * only warning.
     */
    @Test
    void aNodeWhoseClockIsWrongSaysSoOnceTwoPeersHelloesWereRead() throws Exception {
        try (LoopbackNet net = new LoopbackNet()) {
            Started wrong = startOn(net, tmp.resolve("wrong"), () -> System.currentTimeMillis() - HOURS_2);
            net.directory.add(NodeInfo.newBuilder().setNode(wrong.id().toByteString()).setHost("127.0.0.1")
                    .setPort(wrong.gossip().port()).build());
            Started b = net.start(tmp.resolve("b"), Identity.generate(), Wants.everything(), null, true);
            Started c = net.start(tmp.resolve("c"), Identity.generate(), Wants.everything(), null, true);
            await(() -> wrong.gossip().clockCheck() != null && wrong.gossip().clockCheck().problem() != null, WAIT.now());
            assertThat(wrong.gossip().clockCheck().problem()).contains("behind its peers'").contains("enable NTP");
            await(() -> b.linkedTo(c.id()), WAIT.now());
            assertThat(b.gossip().clockCheck() == null || b.gossip().clockCheck().problem() == null)
                    .as("a node with a right clock is not told its clock is wrong").isTrue();
        }
    }

    /** A node of {@code net} on the wall clock {@code wall}, bootstrapping from the nodes listed there. */
    private static Started startOn(LoopbackNet net, Path dir, LongSupplier wall) throws Exception {
        Identity identity = Identity.generate();
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        net.open.add(repo);
        GossipService gossip = GossipService.start(repo, identity,
                GossipSettings.defaults("127.0.0.1", 0, "cpu", dir.resolve("peers.bin")),
                GossipCore.factory(identity, GossipConfig.defaults()), () -> List.copyOf(net.directory),
                new TransferLog(dir.resolve("transfers.jsonl")), net.group, wall);
        net.open.add(gossip);
        return new Started(identity, repo, gossip);
    }

    private static long helloTimeMs(Started node) {
        try {
            return NodeInfo.parseFrom(node.gossip().hello().getHello().getNodeInfo().getPayload()).getTimeMs();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
