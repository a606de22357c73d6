package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node restarted with a peers file naming only peers that are gone, on real sockets: each gone
 * peer's address takes the connection and never answers (a host that died with its port open to
 * the kernel, a machine hung), so each dial costs the handshake's deadline, as on the internet; the
 * coordinator lists three live nodes. The node links all three within a bounded time and takes a
 * commit from one. {@code GossipRestartFromRememberedPeersTest} holds the bound on virtual time
 * over many seeds; this is the same case through the driver, the dialler and the handshake.
 */
class RememberedDeadPeersLoopbackTest extends LoopbackTest {
    static final int GONE = 32;
    /**
     * Twice what the design takes on a quiet machine, and more: a dial that has not answered gives
     * up its slot after 2 s (`Dialer.SLOW_DIAL_MS`), and each round
     * of dials tries two listed peers first, so the third listed one links about 4 s after the
     * coordinator's answer (5 s with the start), where every slot held a gone peer to its 10 s
     * handshake deadline until round 36 (30 s, which failed a CI run at 30.1 s).
     */
    static final LoadScaledBudget WAIT = new LoadScaledBudget(Duration.ofSeconds(12), Duration.ofSeconds(60));
    /** The commit's way after the links: one announcement and a fetch on loopback. */
    static final LoadScaledBudget FETCH_WAIT = new LoadScaledBudget(Duration.ofSeconds(30), Duration.ofSeconds(120));

    @Test
    void aNodeWhosePeersFileNamesOnlyGonePeersLinksTheLiveOnesItsCoordinatorLists() throws Exception {
        List<LoopbackNet.Started> live = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            live.add(net.start(tmp.resolve("live" + i), Identity.generate(), Wants.everything(), null, true));
        }
        List<SignedEnvelope> remembered = new ArrayList<>();
        List<ServerSocket> gone = new ArrayList<>();
        try {
            for (int i = 0; i < GONE; i++) {
                // A host of its own (Linux answers on all of 127/8): per-host dial bounds do not pool them.
                ServerSocket hung = new ServerSocket();
                hung.bind(new InetSocketAddress(InetAddress.getByName("127.0.1." + (i + 1)), 0), 1);
                gone.add(hung);
                Identity id = Identity.generate();
                remembered.add(Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                        .setHost("127.0.1." + (i + 1)).setPort(hung.getLocalPort()).setTimeMs(System.currentTimeMillis()).build()));
            }
            Files.createDirectories(tmp.resolve("restarted"));
            PeersFile.save(tmp.resolve("restarted").resolve("peers.bin"), remembered);

            LoopbackNet.Started restarted = net.start(tmp.resolve("restarted"), Identity.generate(), Wants.everything(), null,
                    false);
            PublicId[] ids = live.stream().map(LoopbackNet.Started::id).toArray(PublicId[]::new);
            GossipServiceTest.await(() -> restarted.linkedTo(ids), WAIT.now());

            String made = live.get(2).commitAndAnnounce("reached after a restart among the gone");
            GossipServiceTest.await(() -> restarted.repo().has(made), FETCH_WAIT.now());
            assertThat(live.stream().allMatch(l -> l.scoreOf(restarted.id()) >= 0)).isTrue();
        } finally {
            for (ServerSocket hung : gone) {
                hung.close();
            }
        }
    }
}
