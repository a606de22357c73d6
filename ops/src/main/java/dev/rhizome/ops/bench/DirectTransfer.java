package dev.rhizome.ops.bench;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.Cancellation;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.HolderVerdicts;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.PeerFailure;
import dev.rhizome.node.peer.PeerServer;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.identity.Identity;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * The baseline for gossip's delivery times, measured in the same run: one bundle of the same size
 * fetched straight from one node's bundle server by another, over the same loopback and event loops
 * (connect, request, bundle made, streamed, verified, imported). The median of a few tries. With a
 * held history both ends hold it first (not timed) and the bundle is a child of its tip, the same
 * shape as the run's bundles: thin, with the import's prerequisites and held boundary.
 */
final class DirectTransfer {
    private static final PersonIdent AUTHOR = new PersonIdent("rhizome bench", "bench@rhizome");
    static final int TRIES = 3;
    /** How often one fetch is asked again after a BUSY before the bench gives up. */
    private static final int BUSY_ASKS = 20;

    private DirectTransfer() {
    }

    static long medianMs(int bundleBytes, long seed, HeldHistory history, PeerConfig config, EventLoopGroup group)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("rhizome-bench-direct-");
        Identity serverId = Identity.generate();
        List<Long> times = new ArrayList<>();
        try (NodeRepository server = NodeRepository.open(dir.resolve("server.git"));
             PeerServer peer = PeerServer.start(server, serverId, "127.0.0.1", 0, config, group,
                     (channel, hello) -> channel.close())) {
            history.giveTo(server);
            byte[] noise = new byte[bundleBytes];
            new Random(seed).nextBytes(noise);
            String commit = server.commitFiles(history.tip(), Map.of("bundle.bin", noise), "direct transfer", AUTHOR);
            PeerEndpoint endpoint = PeerEndpoint.newBuilder().setNode(serverId.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(peer.port()).build();
            for (int t = 0; t < TRIES; t++) {
                Path client = dir.resolve("client-" + t);
                try (NodeRepository repo = NodeRepository.open(client.resolve("repo.git"));
                     BundleFetcher fetcher = new BundleFetcher(repo, Identity.generate(), config,
                             new TransferLog(client.resolve("transfers.jsonl")), group)) {
                    history.giveTo(repo);
                    long start = System.nanoTime();
                    fetchHonouringBusy(fetcher, endpoint, commit);
                    times.add((System.nanoTime() - start) / 1_000_000);
                } catch (PeerFailure e) {
                    throw new IOException("the direct transfer failed: " + e.getMessage(), e);
                }
            }
        } finally {
            LoopbackRun.deleteTree(dir);
        }
        Collections.sort(times);
        return Math.max(1, times.get(times.size() / 2));
    }

    /**
     * The median time for a fresh node to fetch the same bundle in pieces from {@code holders}
     * holders at once (the origin and relays that fetched it from the origin, so all serve the same
     * bytes), under the same defaults, upload pacing included.
     */
    static long rangedMedianMs(int bundleBytes, long seed, HeldHistory history, int holders, PeerConfig config,
                               EventLoopGroup group)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("rhizome-bench-ranged-");
        List<Long> times = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            List<PeerEndpoint> endpoints = new ArrayList<>();
            NodeRepository origin = NodeRepository.open(dir.resolve("origin.git"));
            open.add(origin);
            history.giveTo(origin);
            byte[] noise = new byte[bundleBytes];
            new Random(seed).nextBytes(noise);
            String commit = origin.commitFiles(history.tip(), Map.of("bundle.bin", noise), "ranged transfer", AUTHOR);
            endpoints.add(serve(origin, config, group, open));
            for (int h = 1; h < holders; h++) {
                Path relayDir = dir.resolve("relay-" + h);
                NodeRepository relay = NodeRepository.open(relayDir.resolve("repo.git"));
                open.add(relay);
                history.giveTo(relay);
                try (BundleFetcher fetcher = new BundleFetcher(relay, Identity.generate(), config,
                        new TransferLog(relayDir.resolve("transfers.jsonl")), group)) {
                    fetchHonouringBusy(fetcher, endpoints.get(0), commit);
                }
                endpoints.add(serve(relay, config, group, open));
            }
            for (int t = 0; t < TRIES; t++) {
                Path client = dir.resolve("client-" + t);
                try (NodeRepository repo = NodeRepository.open(client.resolve("repo.git"));
                     BundleFetcher fetcher = new BundleFetcher(repo, Identity.generate(), config,
                             new TransferLog(client.resolve("transfers.jsonl")), group)) {
                    history.giveTo(repo);
                    List<PeerEndpoint> order = new ArrayList<>(endpoints);
                    Collections.rotate(order, t);  // a different first holder each try
                    long start = System.nanoTime();
                    fetcher.fetchFromHolders(commit, order, (c, soFar, total) -> { }, new Cancellation(),
                            HolderVerdicts.NONE);
                    times.add((System.nanoTime() - start) / 1_000_000);
                } catch (FetchException e) {
                    throw new IOException("the ranged transfer failed: " + e.getMessage(), e);
                }
            }
        } catch (PeerFailure e) {
            throw new IOException("seeding the ranged transfer's holders failed: " + e.getMessage(), e);
        } finally {
            Collections.reverse(open);
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    // best effort: the directory goes anyway
                }
            }
            LoopbackRun.deleteTree(dir);
        }
        Collections.sort(times);
        return Math.max(1, times.get(times.size() / 2));
    }

    /**
     * One fetch from {@code holder}, asked again after the wait a BUSY names (bounded): a holder whose
     * build of a large bundle outlasts its patience answers BUSY and goes on building (the bundle is
     * cached for the next ask), as a node's fetch would be told. At load 46 the 10 MiB case's first
     * direct try was answered so and the whole run ended with "the direct transfer failed"; the wait
     * is part of the transfer's time, as it is of a node's.
     */
    private static void fetchHonouringBusy(BundleFetcher fetcher, PeerEndpoint holder, String commit)
            throws PeerFailure, InterruptedException {
        for (int asked = 1; ; asked++) {
            try {
                fetcher.fetchFrom(holder, commit, (c, soFar, total) -> { }, new Cancellation());
                return;
            } catch (PeerFailure e) {
                if (e.declined() != PeerFailure.Declined.BUSY || asked >= BUSY_ASKS) {
                    throw e;
                }
                Thread.sleep(Math.min(Math.max(e.retryAfterMs(), 50), 5_000));
            }
        }
    }

    private static PeerEndpoint serve(NodeRepository repo, PeerConfig config, EventLoopGroup group, List<AutoCloseable> open)
            throws InterruptedException {
        Identity id = Identity.generate();
        PeerServer server = PeerServer.start(repo, id, "127.0.0.1", 0, config, group,
                (channel, hello) -> channel.close());
        open.add(server);
        return PeerEndpoint.newBuilder().setNode(id.publicId().toByteString()).setHost("127.0.0.1").setPort(server.port()).build();
    }
}
