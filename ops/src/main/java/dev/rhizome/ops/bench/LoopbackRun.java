package dev.rhizome.ops.bench;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.net.GossipService;
import dev.rhizome.node.gossip.net.GossipSettings;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * One protocol on K real nodes in this JVM: each with its own repository in a temporary directory
 * and its own gossip service on loopback, all on one shared event loop group, wired as a random
 * graph (each edge dialled by its later node). Bundles are injected once the links are up; the run
 * ends when every node holds every bundle and transfers have gone quiet, or at the deadline.
 */
final class LoopbackRun {
    private static final PersonIdent AUTHOR = new PersonIdent("rhizome bench", "bench@rhizome");
    private static final Duration TICK = Duration.ofMillis(100);
    private static final long QUIET_MS = 1_000;

    /** What one run measured. {@code deliveryMs} has one entry per bundle, -1 where not every node got it. */
    record Outcome(String protocol, int nodes, int bundles, double meanLinks, double deliveredFraction, List<Long> deliveryMs,
                   long bundleBytesNeeded, long bundleBytesReceived, double gossipMessagesPerNode,
                   double bundleRequestsPerNode, long wallMs, int warmupBundles, double deliveryCpuMs) {
        double amplification() {
            return bundleBytesNeeded == 0 ? 0 : (double) bundleBytesReceived / bundleBytesNeeded;
        }

        double controlMessagesPerNode() {
            return gossipMessagesPerNode + bundleRequestsPerNode;
        }

        long percentileDeliveryMs(double p) {
            return percentile(deliveryMs, p);
        }

        /** Copies of the timed round's bundles fetched (the injecting nodes' own not counted). */
        long copiesDelivered() {
            return Math.max(1, Math.round(deliveredFraction * (nodes - 1) * bundles));
        }

        /** Process CPU from injection to full delivery, per bundle copy delivered (both ends, all threads). */
        double deliveryCpuMsPerCopy() {
            return deliveryCpuMs / copiesDelivered();
        }
    }

    /** -1 where some bundle did not reach every node. */
    static long percentile(List<Long> deliveryMs, double p) {
        if (deliveryMs.contains(-1L)) {
            return -1;
        }
        List<Long> sorted = deliveryMs.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private record Node(Identity identity, NodeRepository repo, GossipService gossip) {
    }

    private LoopbackRun() {
    }

    /** Runs between the warm-up round and the timed round, on the warmed-up JVM (the baselines' probes). */
    @FunctionalInterface
    interface BetweenRounds {
        void run() throws IOException, InterruptedException;
    }

    /** One round of bundles delivered: per bundle the time to the last node, and the CPU it took. */
    private record Round(List<Long> deliveryMs, long neededBytes, int copies, double cpuMs, Totals before) {
    }

    /** The nodes' counters summed, so that a round is counted apart from the one before it. */
    private record Totals(long received, long gossipSent, long requests) {
        static Totals of(List<Node> nodes) {
            long received = 0;
            long gossipSent = 0;
            long requests = 0;
            for (Node node : nodes) {
                GossipService.Counters c = node.gossip().counters();
                received += c.bundleBytesReceived();
                gossipSent += c.gossipSent();
                requests += c.fetchesStarted();
            }
            return new Totals(received, gossipSent, requests);
        }
    }

    /** @param protocol makes each node's protocol from its identity and its own NodeInfo */
    static Outcome run(String name, GossipBenchConfig config, HeldHistory history,
                       BiFunction<Identity, NodeInfo, PeerProtocol> protocol, EventLoopGroup group, PrintStream progress)
            throws IOException, InterruptedException {
        return run(name, config, history, 0, protocol, group, progress, () -> { });
    }

    /**
     * @param warmupBundles bundles of one untimed round delivered through the same network first, so
     *                      that the timed round runs on compiled code, as a long-running node does
     * @param between       runs after the warm-up round, before the timed one
     * @param history       given to every node before it starts; every bundle injected is a child of its tip
     */
    static Outcome run(String name, GossipBenchConfig config, HeldHistory history, int warmupBundles,
                       BiFunction<Identity, NodeInfo, PeerProtocol> protocol, EventLoopGroup group, PrintStream progress,
                       BetweenRounds between) throws IOException, InterruptedException {
        Random random = new Random(config.seed());
        List<Set<Integer>> graph = RandomGraph.build(config.nodes(), config.degree(), random);
        Path dir = Files.createTempDirectory("rhizome-bench-" + name + "-");
        List<Node> nodes = new ArrayList<>();
        Map<String, Long> obtained = new ConcurrentHashMap<>();   // "node/commit" -> first time held
        long started = System.currentTimeMillis();
        try {
            List<NodeInfo> infos = new ArrayList<>();
            for (int i = 0; i < config.nodes(); i++) {
                if (history.size() > 0 && i % 10 == 0) {
                    progress.printf("%s: giving the held history (%d commits, one pack each) to nodes %d-%d of %d%n", name,
                            history.size(), i + 1, Math.min(i + 10, config.nodes()), config.nodes());
                }
                Node node = startNode(dir.resolve("node-" + i), protocol, earlierNeighbours(graph, i, infos), config.peerConfig(),
                        group, history);
                String prefix = i + "/";
                node.gossip().addListener((commit, from, bytes) -> obtained.putIfAbsent(prefix + commit, System.currentTimeMillis()));
                nodes.add(node);
                infos.add(NodeInfo.newBuilder().setNode(node.identity().publicId().toByteString()).setHost("127.0.0.1")
                        .setPort(node.gossip().port()).build());
            }
            double meanLinks = awaitLinks(nodes, progress, name);
            if (warmupBundles > 0) {
                Round warm = deliver(name + " warm-up", config, history, warmupBundles, nodes, obtained, random, progress);
                progress.printf("%s warm-up: %d bundles, p50 delivery %d ms (not counted)%n", name, warmupBundles,
                        percentile(warm.deliveryMs(), 50));
            }
            between.run();
            Round timed = deliver(name, config, history, config.bundles(), nodes, obtained, random, progress);
            Totals after = Totals.of(nodes);
            double deliveredFraction = (double) timed.copies() / ((config.nodes() - 1) * config.bundles());
            return new Outcome(name, config.nodes(), config.bundles(), meanLinks, deliveredFraction, timed.deliveryMs(),
                    timed.neededBytes(), after.received() - timed.before().received(),
                    (double) (after.gossipSent() - timed.before().gossipSent()) / nodes.size(),
                    (double) (after.requests() - timed.before().requests()) / nodes.size(), System.currentTimeMillis() - started,
                    warmupBundles, timed.cpuMs());
        } finally {
            for (Node node : nodes) {
                node.gossip().close();
                node.repo().close();
            }
            deleteTree(dir);
        }
    }

    /** Makes {@code count} bundles at random nodes, injects them at once and waits until every node holds them. */
    private static Round deliver(String name, GossipBenchConfig config, HeldHistory history, int count, List<Node> nodes,
                                 Map<String, Long> obtained,
                                 Random random, PrintStream progress) throws IOException, InterruptedException {
        // Every commit is made (and its bundle measured) before the clock starts, so that a bundle's
        // delivery time is the network's alone, not the making of the bundles injected before it.
        List<String> commits = new ArrayList<>();
        List<Integer> injectedAt = new ArrayList<>();
        long needed = 0;
        for (int b = 0; b < count; b++) {
            int at = random.nextInt(config.nodes());
            byte[] noise = new byte[config.bundleBytes()];
            random.nextBytes(noise);
            Node node = nodes.get(at);
            String commit = node.repo().commitFiles(history.tip(), Map.of("bundle-" + b + ".bin", noise), name + " bundle " + b,
                    AUTHOR);
            needed += node.repo().bundle(commit, history.prerequisites()).size() * (config.nodes() - 1);
            commits.add(commit);
            injectedAt.add(at);
        }
        Totals before = Totals.of(nodes);
        int heldBefore = obtained.size();
        long injectMs = System.currentTimeMillis();
        PhaseCpu cpu = PhaseCpu.start();
        for (int b = 0; b < commits.size(); b++) {
            obtained.put(injectedAt.get(b) + "/" + commits.get(b), injectMs);
            nodes.get(injectedAt.get(b)).gossip().onLocalCommit(commits.get(b));
        }
        int pairs = heldBefore + config.nodes() * count;
        PhaseCpu.Used used = awaitDelivery(nodes, obtained, pairs, injectMs + config.deadline().toMillis(), progress, name,
                injectMs, cpu);
        int copies = obtained.size() - heldBefore - count;
        progress.printf("%s: delivery used %.0f ms of CPU, %.2f ms per copy delivered; per copy by thread (us): %s, "
                        + "JIT compiler threads %.0f%n", name, used.processMs(), used.processMs() / Math.max(1, copies),
                used.threadsPer(Math.max(1, copies)), used.jitMs() * 1000 / Math.max(1, copies));

        List<Long> delivery = new ArrayList<>();
        for (String commit : commits) {
            long last = injectMs;
            boolean all = true;
            for (int i = 0; i < nodes.size(); i++) {
                Long at = obtained.get(i + "/" + commit);
                if (at == null) {
                    all = false;
                } else {
                    last = Math.max(last, at);
                }
            }
            delivery.add(all ? last - injectMs : -1L);
        }
        return new Round(delivery, needed, copies, used.processMs(), before);
    }

    private static List<NodeInfo> earlierNeighbours(List<Set<Integer>> graph, int i, List<NodeInfo> infos) {
        return graph.get(i).stream().filter(j -> j < i).sorted().map(infos::get).toList();
    }

    private static Node startNode(Path dir, BiFunction<Identity, NodeInfo, PeerProtocol> protocol, List<NodeInfo> bootstrap,
                                  PeerConfig peer, EventLoopGroup group, HeldHistory history)
            throws IOException, InterruptedException {
        Identity identity = Identity.generate();
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        try {
            history.giveTo(repo);
        } catch (IOException | RuntimeException e) {
            repo.close();
            throw e;
        }
        GossipSettings settings = GossipSettings.defaults("127.0.0.1", 0, "bench", null)
                .withPeer(peer).withTick(TICK);
        Function<NodeInfo, PeerProtocol> make = self -> protocol.apply(identity, self);
        GossipService gossip = GossipService.start(repo, identity, settings, make, () -> bootstrap,
                new TransferLog(dir.resolve("transfers.jsonl")), group);
        return new Node(identity, repo, gossip);
    }

    /** Waits until every node has a link and the link count has settled; returns the mean links per node. */
    private static double awaitLinks(List<Node> nodes, PrintStream progress, String name) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        int last = -1;
        long stableSince = System.currentTimeMillis();
        while (System.currentTimeMillis() < deadline) {
            int total = 0;
            boolean everyone = true;
            for (Node node : nodes) {
                int links = node.gossip().linkedPeers().size();
                total += links;
                everyone &= links > 0;
            }
            if (total != last) {
                last = total;
                stableSince = System.currentTimeMillis();
            } else if (everyone && System.currentTimeMillis() - stableSince >= 500) {
                break;
            }
            Thread.sleep(100);
        }
        double mean = (double) last / nodes.size();
        progress.printf("%s: %d nodes up, %.1f links per node%n", name, nodes.size(), mean);
        return mean;
    }

    /** Returns the CPU used from {@code cpu}'s start to the moment every copy was held (or the deadline). */
    private static PhaseCpu.Used awaitDelivery(List<Node> nodes, Map<String, Long> obtained, int pairs, long deadline,
                                               PrintStream progress, String name, long injectMs, PhaseCpu cpu)
            throws InterruptedException {
        long lastPrint = 0;
        long lastActivity = -1;
        long quietSince = System.currentTimeMillis();
        PhaseCpu.Used used = null;
        while (System.currentTimeMillis() < deadline) {
            long activity = 0;
            for (Node node : nodes) {
                GossipService.Counters c = node.gossip().counters();
                activity += c.bundleBytesReceived() + c.fetchesStarted() + c.gossipSent();
            }
            long now = System.currentTimeMillis();
            if (activity != lastActivity) {
                lastActivity = activity;
                quietSince = now;
            }
            boolean delivered = obtained.size() >= pairs;
            boolean justDelivered = delivered && used == null;
            if (justDelivered) {
                used = cpu.stop(LoopbackRun::threadGroup);
            }
            if (now - lastPrint >= 1_000 || justDelivered) {
                lastPrint = now;
                progress.printf("%s: %d/%d bundle copies held after %d ms%n", name, obtained.size(), pairs, now - injectMs);
            }
            // Late duplicate transfers still count against amplification, so wait for them too.
            if (delivered && now - quietSince >= QUIET_MS) {
                return used;
            }
            Thread.sleep(100);
        }
        progress.printf("%s: deadline reached with %d/%d bundle copies held%n", name, obtained.size(), pairs);
        return used != null ? used : cpu.stop(LoopbackRun::threadGroup);
    }

    /** A node's threads carry its id ("gossip-fetch-3fa2c1-4"): one group per kind of thread, all nodes together. */
    static String threadGroup(String thread) {
        if (thread.startsWith("gossip-fetch")) {
            return "fetch workers";
        }
        if (thread.startsWith("gossip")) {
            return "gossip core";
        }
        if (thread.startsWith("multiThreadIoEventLoopGroup")) {
            return "event loops";
        }
        return thread.replaceAll("[-#]?\\d+", "");
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is not worth failing a benchmark for
        }
    }
}
