package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorReach;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.net.PeerResolver;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.support.RefusedPort;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peers a unit names (and the coordinator's list of a commit's holders) are the coordinator's
 * word: dialled for {@code rhizome claim} and every evaluation only if they reach no narrower than
 * the coordinator, a name only where it resolves no narrower at the dial. A real bundle fetcher
 * and JGit repository, and a listener on loopback counting the connections it gets; the name
 * server is the one thing stood in for (a test cannot make a public name resolve to loopback).
 */
class CommitFetcherReachTest {
    @TempDir
    Path dir;
    private NodeRepository repo;
    private BundleFetcher bundles;
    private ServerSocket listener;
    private RefusedPort deadCoordinator;
    private final AtomicInteger connections = new AtomicInteger();
    private final Identity node = Identity.generate();
    private final String commit = "ab".repeat(20);

    @BeforeEach
    void setUp() throws Exception {
        repo = NodeRepository.open(dir.resolve("repo"));
        bundles = new BundleFetcher(repo, node, PeerConfig.defaults(), new TransferLog(dir.resolve("transfers.log")));
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        deadCoordinator = new RefusedPort();
        Thread accepting = new Thread(() -> {
            try {
                while (true) {
                    try (Socket s = listener.accept()) {
                        connections.incrementAndGet();  // and closed at once: no node here
                    }
                }
            } catch (Exception closed) {
                // closed
            }
        });
        accepting.setDaemon(true);
        accepting.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        listener.close();
        deadCoordinator.close();
        bundles.close();
        repo.close();
    }

    /** Resolves {@code lan-probe.example} to loopback, and the coordinator's name to a public address. */
    private static final PeerResolver DNS = new PeerResolver(host -> host.equals("lan-probe.example")
            ? new InetAddress[] {InetAddress.getByName("127.0.0.1")} : InetAddress.getAllByName(host));

    private CommitFetcher fetcher(Supplier<Reach> coordinatorReach) throws Exception {
        // the coordinator's list, asked again each round, is refused at once
        return new CommitFetcher(CommitFetcher.direct(bundles, DNS), new CoordinatorClient(deadCoordinator.url(), node),
                coordinatorReach, 1);
    }

    private PeerEndpoint peer(String host) {
        return PeerEndpoint.newBuilder().setNode(Identity.generate().publicId().toByteString()).setHost(host)
                .setPort(listener.getLocalPort()).build();
    }

    @Test
    void aCoordinatorOnTheInternetNamingLoopbackPeersHasNobodyDialled() throws Exception {
        Supplier<Reach> publicCoordinator = () -> CoordinatorReach.of(URI.create("http://coordinator.example:7700"),
                host -> new InetAddress[] {InetAddress.getByName("93.184.216.34")});
        CommitFetcher fetcher = fetcher(publicCoordinator);
        assertThatThrownBy(() -> fetcher.fetch(commit, List.of(peer("127.0.0.1"), peer("localhost"), peer("lan-probe.example"))))
                .isInstanceOf(FetchException.class);
        assertThat(connections.get()).isZero();
    }

    @Test
    void aCoordinatorOnLoopbackMayNameLoopbackPeers() throws Exception {
        CommitFetcher fetcher = fetcher(() -> CoordinatorReach.of(URI.create("http://127.0.0.1:7700")));
        assertThatThrownBy(() -> fetcher.fetch(commit, List.of(peer("lan-probe.example")))).isInstanceOf(FetchException.class);
        assertThat(connections.get()).as("asked once per round").isEqualTo(CommitFetcher.ROUNDS);
    }

    @Test
    void theCoordinatorsReachIsItsAddressesWidest() throws Exception {
        assertThat(CoordinatorReach.of(URI.create("http://127.0.0.1:7700"))).isEqualTo(Reach.LOOPBACK);
        assertThat(CoordinatorReach.of(URI.create("http://[::1]:7700"))).isEqualTo(Reach.LOOPBACK);
        assertThat(CoordinatorReach.of(URI.create("http://localhost:7700"))).isEqualTo(Reach.LOOPBACK);
        assertThat(CoordinatorReach.of(URI.create("http://10.1.2.3:7700"))).isEqualTo(Reach.PRIVATE);
        assertThat(CoordinatorReach.of(URI.create("http://93.184.216.34:7700"))).isEqualTo(Reach.GLOBAL);
        assertThat(CoordinatorReach.of(URI.create("http://both.example:7700"), host -> new InetAddress[] {
                InetAddress.getByName("127.0.0.1"), InetAddress.getByName("93.184.216.34")})).isEqualTo(Reach.GLOBAL);
        assertThat(CoordinatorReach.of(URI.create("http://gone.example:7700"), host -> {
            throw new UnknownHostException(host);
        })).as("unknown: the narrowest trust").isEqualTo(Reach.GLOBAL);
    }

    @Test
    void hintsAreKeptOnlyWithinReachAndResolvedToTheAddressChecked() throws Exception {
        List<PeerEndpoint> hints = List.of(peer("127.0.0.1"), peer("10.0.0.1"), peer("93.184.216.34"), peer("bad host"),
                peer("lan-probe.example"));
        assertThat(CommitFetcher.withinReach(commit, hints, Reach.GLOBAL)).extracting(PeerEndpoint::getHost)
                .containsExactly("93.184.216.34", "lan-probe.example");
        assertThat(CommitFetcher.withinReach(commit, hints, Reach.PRIVATE)).extracting(PeerEndpoint::getHost)
                .containsExactly("10.0.0.1", "93.184.216.34", "lan-probe.example");
        assertThat(CommitFetcher.resolved(commit, List.of(peer("lan-probe.example")), Reach.GLOBAL, DNS)).isEmpty();
        assertThat(CommitFetcher.resolved(commit, List.of(peer("lan-probe.example")), Reach.LOOPBACK, DNS))
                .extracting(PeerEndpoint::getHost).containsExactly("127.0.0.1");
    }
}
