package dev.rhizome.ops.bench;

import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.FetchFailure;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.MemoisingSignatureCheck;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * Drives thousands of {@link GossipCore}s without sockets: a virtual clock, an event queue, per
 * message latency and loss, and bundle transfers that queue on each node's uplink and downlink.
 * Holders answer some asks BUSY (no bytes, a hint or none), and a few nodes answer every ask BUSY
 * while announcing all they hold ({@link SimulationConfig#busyAsks}, {@link SimulationConfig#busyHolders}).
 * Deterministic for a given seed.
 */
public final class GossipSimulation {
    private static final long TICK_MS = 1000;

    private record Deliver(int from, int to, Gossip message) {
    }

    private record Connect(int dialer, int target) {
    }

    private record DialLost(int dialer, int target) {
    }

    private record Closed(int node, int peer) {
    }

    private record FetchEnd(int node, int server, int bundle, int generation, boolean lost) {
    }

    private record FetchProgress(int node, int server, int bundle, int generation) {
    }

    private record FetchBusy(int node, int server, int bundle, int generation, long retryAfterMs) {
    }

    private record Tick(int node) {
    }

    private record Inject(int bundle) {
    }

    private record Scheduled(long at, long seq, Object event) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    private final SimulationConfig config;
    private final PrintStream progress;
    private final Random random;
    /** Who is busy and when, on a stream of its own: the other draws stay those of a run without busy holders. */
    private final Random busyRandom;
    private final boolean[] busyForever;
    private final GossipCore[] cores;
    private final PublicId[] ids;
    private final NodeInfo[] infos;
    private final Map<PublicId, Integer> index = new HashMap<>();
    private final Set<Long> links = new HashSet<>();
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private final String[] commits;
    private final Map<String, Integer> bundleOf = new HashMap<>();
    private final long[] injectedAt;
    private final int[] hops;         // per (node, bundle): hops from the source, -1 until held
    private final int[] generation;   // per (node, bundle): bumped on each fetch and cancel, to drop cancelled transfers
    private final long[] uplinkFreeAt;
    private final long[] downlinkFreeAt;
    private final long[] deliveryMs;
    private final long transferMs;
    private int delivered;
    private long seq;
    private long now;
    private long bytesTransferred;
    private long messagesSent;
    private long fetchesBusy;

    private GossipSimulation(SimulationConfig config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
        this.random = new Random(config.seed());
        this.busyRandom = new Random(config.seed() ^ 0x5EEDB05FL);
        this.busyForever = new boolean[config.nodes()];
        int n = config.nodes();
        this.cores = new GossipCore[n];
        this.ids = new PublicId[n];
        this.infos = new NodeInfo[n];
        this.commits = new String[config.bundles()];
        this.injectedAt = new long[config.bundles()];
        this.hops = new int[n * config.bundles()];
        this.generation = new int[n * config.bundles()];
        this.uplinkFreeAt = new long[n];
        this.downlinkFreeAt = new long[n];
        this.deliveryMs = new long[(n - 1) * config.bundles()];
        this.transferMs = Math.max(1, config.bundleBytes() * 1000 / config.bandwidthBytesPerSec());
        Arrays.fill(hops, -1);
    }

    public static SimulationReport run(SimulationConfig config, PrintStream progress) {
        return new GossipSimulation(config, progress).run();
    }

    private SimulationReport run() {
        long wallStart = System.nanoTime();
        int n = config.nodes();
        progress.printf("simulation: %d nodes, %d bundles of %d bytes, degree %d, latency %d..%d ms, loss %.3f%n",
                n, config.bundles(), config.bundleBytes(), config.degree(), config.minLatencyMs(), config.maxLatencyMs(),
                config.loss());
        // One memo for all nodes: each distinct envelope is still verified once, not once per node.
        SignatureCheck signatures = new MemoisingSignatureCheck(SignatureCheck.envelopes(), 4_000_000);
        for (int i = 0; i < n; i++) {
            Identity identity = Identity.fromSeed(seedBytes(random));
            ids[i] = identity.publicId();
            infos[i] = NodeInfo.newBuilder().setNode(ids[i].toByteString()).setHost("sim").setPort(i + 1).build();
            index.put(ids[i], i);
            cores[i] = new GossipCore(identity, infos[i], config.gossip(), new Random(random.nextLong()), signatures);
            busyForever[i] = busyRandom.nextDouble() < config.busyHolders();
        }
        for (int i = 0; i < n; i++) {
            List<NodeInfo> bootstrap = new ArrayList<>();
            for (int k = 0; k < config.degree(); k++) {
                int j = random.nextInt(n - 1);
                bootstrap.add(infos[j >= i ? j + 1 : j]);
            }
            apply(i, cores[i].start(bootstrap, 0));
            schedule(random.nextLong(TICK_MS), new Tick(i));
        }
        for (int b = 0; b < config.bundles(); b++) {
            commits[b] = HexFormat.of().formatHex(seedBytes(random), 0, 20);
            bundleOf.put(commits[b], b);
            injectedAt[b] = config.injectAtMs() + b * config.staggerMs();
            schedule(injectedAt[b], new Inject(b));
        }
        long nextReport = 0;
        long events = 0;
        while (!queue.isEmpty() && delivered < deliveryMs.length) {
            Scheduled next = queue.poll();
            if (next.at() > config.deadlineMs()) {
                break;
            }
            now = next.at();
            handle(next.event());
            events++;
            if (now >= nextReport) {
                nextReport = now + 1000;
                progress.printf("  t=%5.1fs delivered %5.1f%%  events %,d  wall %.1fs%n", now / 1000.0,
                        100.0 * delivered / deliveryMs.length, events, (System.nanoTime() - wallStart) / 1e9);
            }
        }
        SimulationReport report = report((System.nanoTime() - wallStart) / 1e9);
        progress.printf("simulation done: delivered %.4f, full delivery %d ms, p50 %d ms, p99 %d ms, rounds %d, "
                        + "amplification %.3f, %.1f control messages per node, %.1f s%n",
                report.deliveredFraction(), report.fullDeliveryMs(), report.p50DeliveryMs(), report.p99DeliveryMs(),
                report.rounds(), report.amplification(), report.controlMessagesPerNode(), report.wallSeconds());
        return report;
    }

    private void handle(Object event) {
        if (event instanceof Deliver d) {
            if (linked(d.from(), d.to())) {
                apply(d.to(), cores[d.to()].onMessage(ids[d.from()], d.message(), now));
            }
        } else if (event instanceof FetchProgress p) {
            if (p.generation() == generation[p.node() * config.bundles() + p.bundle()]) {
                apply(p.node(), cores[p.node()].onFetchProgress(ids[p.server()], commits[p.bundle()], 0, now));
            }
        } else if (event instanceof Tick t) {
            apply(t.node(), cores[t.node()].onTick(now));
            schedule(now + TICK_MS, t);
        } else if (event instanceof FetchEnd f) {
            fetchEnded(f);
        } else if (event instanceof FetchBusy b) {
            if (b.generation() == generation[b.node() * config.bundles() + b.bundle()]) {
                apply(b.node(), cores[b.node()].onFetchBusy(ids[b.server()], commits[b.bundle()], b.retryAfterMs(), now));
            }
        } else if (event instanceof Connect c) {
            connect(c.dialer(), c.target());
        } else if (event instanceof DialLost d) {
            apply(d.dialer(), cores[d.dialer()].onDialFailed(ids[d.target()], now));
        } else if (event instanceof Closed c) {
            apply(c.node(), cores[c.node()].onDisconnected(ids[c.peer()], now));
        } else if (event instanceof Inject i) {
            int source = random.nextInt(config.nodes());
            while (busyForever[source]) {
                source = busyRandom.nextInt(config.nodes()); // a commit's maker serves it
            }
            hops[source * config.bundles() + i.bundle()] = 0;
            apply(source, cores[source].onLocalCommit(commits[i.bundle()], now));
        }
    }

    private void apply(int node, List<Effect> effects) {
        for (Effect effect : effects) {
            if (effect instanceof Effect.Send s) {
                messagesSent++;
                int to = index.get(s.to());
                if (linked(node, to) && !lost()) {
                    schedule(now + latency(), new Deliver(node, to, s.message()));
                }
            } else if (effect instanceof Effect.Fetch f) {
                startFetch(node, index.get(f.from()), bundleOf.get(f.commit()));
            } else if (effect instanceof Effect.CancelFetch c) {
                generation[node * config.bundles() + bundleOf.get(c.commit())]++;
            } else if (effect instanceof Effect.Dial d) {
                int target = index.get(PublicId.of(d.peer().getNode()));
                long handshake = now + 2 * latency();
                schedule(handshake, lost() ? new DialLost(node, target) : new Connect(node, target));
            } else if (effect instanceof Effect.Disconnect d) {
                int peer = index.get(d.peer());
                if (links.remove(link(node, peer))) {
                    schedule(now + latency(), new Closed(node, peer));
                    schedule(now + latency(), new Closed(peer, node));
                }
            }
        }
    }

    /**
     * A transfer waits for both the server's uplink and the client's downlink, one bundle at a time
     * on each: the best order a server can pick, so the times measure the protocol, not a poor
     * server. A real server shares its uplink among concurrent requests instead, so bytes keep
     * flowing to every waiting client; the progress reports stand for that, and keep the core's
     * stall detector from mistaking a busy server for a stalled one.
     */
    private void startFetch(int node, int server, int bundle) {
        int key = node * config.bundles() + bundle;
        generation[key]++;
        long accepted = now + latency();
        if (busyForever[server] || (config.busyAsks() > 0 && busyRandom.nextDouble() < config.busyAsks())) {
            // Answered at once, no bytes sent: the uplink stays free for the asks it takes.
            long hint = busyForever[server] ? 2_000 : busyRandom.nextBoolean() ? 1_000 + busyRandom.nextLong(9_001) : 0;
            fetchesBusy++;
            schedule(accepted + latency(), new FetchBusy(node, server, bundle, generation[key], hint));
            return;
        }
        long start = Math.max(accepted, Math.max(uplinkFreeAt[server], downlinkFreeAt[node]));
        long end = start + transferMs;
        uplinkFreeAt[server] = end;
        downlinkFreeAt[node] = end;
        long every = Math.max(1, config.gossip().fetchStall().toMillis() / 2);
        for (long t = accepted; t < end; t += every) {
            schedule(t, new FetchProgress(node, server, bundle, generation[key]));
        }
        schedule(end, new FetchEnd(node, server, bundle, generation[key], lost()));
    }

    private void fetchEnded(FetchEnd f) {
        // Lost transfers die part way; cancelled ones are counted whole: the bytes were spent either way.
        bytesTransferred += f.lost() ? (long) (config.bundleBytes() * random.nextDouble()) : config.bundleBytes();
        int key = f.node() * config.bundles() + f.bundle();
        if (f.generation() != generation[key]) {
            return;
        }
        GossipCore core = cores[f.node()];
        String commit = commits[f.bundle()];
        PublicId server = ids[f.server()];
        if (f.lost()) {
            apply(f.node(), core.onFetchFailed(server, commit, FetchFailure.CONNECTION_LOST, now));
        } else if (!cores[f.server()].holds(commit)) {
            apply(f.node(), core.onFetchFailed(server, commit, FetchFailure.NOT_FOUND, now));
        } else {
            if (!core.holds(commit)) {
                deliveryMs[delivered++] = now - injectedAt[f.bundle()];
                hops[key] = hops[f.server() * config.bundles() + f.bundle()] + 1;
            }
            apply(f.node(), core.onFetched(server, commit, config.bundleBytes(), now));
        }
    }

    private void connect(int dialer, int target) {
        if (linked(dialer, target)) {
            apply(dialer, cores[dialer].onConnected(ids[target], cores[target].signedSelfInfo(now), true, now));
            return;
        }
        List<Effect> accepted = cores[target].onConnected(ids[dialer], cores[dialer].signedSelfInfo(now), false, now);
        boolean refused = accepted.stream().anyMatch(e -> e instanceof Effect.Disconnect d && d.peer().equals(ids[dialer]));
        if (refused) {
            apply(target, accepted);
            apply(dialer, cores[dialer].onDialFailed(ids[target], now));
            return;
        }
        links.add(link(dialer, target));
        List<Effect> dialed = cores[dialer].onConnected(ids[target], cores[target].signedSelfInfo(now), true, now);
        apply(target, accepted);
        apply(dialer, dialed);
    }

    private SimulationReport report(double wallSeconds) {
        long[] times = Arrays.copyOf(deliveryMs, delivered);
        Arrays.sort(times);
        int rounds = Arrays.stream(hops).max().orElse(0);
        long failed = 0;
        long banned = 0;
        for (GossipCore core : cores) {
            failed += core.stats().fetchesFailed();
            banned += core.stats().peersBanned();
        }
        double needed = (double) deliveryMs.length * config.bundleBytes();
        return new SimulationReport(config.nodes(), config.bundles(), (double) delivered / deliveryMs.length,
                percentile(times, 0.50), percentile(times, 0.99),
                delivered == deliveryMs.length && times.length > 0 ? times[times.length - 1] : -1, rounds,
                bytesTransferred / needed, (double) messagesSent / config.nodes(), failed, fetchesBusy, banned, wallSeconds);
    }

    private static long percentile(long[] sorted, double q) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private void schedule(long at, Object event) {
        queue.add(new Scheduled(at, seq++, event));
    }

    private long latency() {
        return config.minLatencyMs() + random.nextLong(config.maxLatencyMs() - config.minLatencyMs() + 1);
    }

    private boolean lost() {
        return config.loss() > 0 && random.nextDouble() < config.loss();
    }

    private boolean linked(int a, int b) {
        return links.contains(link(a, b));
    }

    private static long link(int a, int b) {
        return ((long) Math.min(a, b) << 32) | Math.max(a, b);
    }

    private static byte[] seedBytes(Random random) {
        byte[] seed = new byte[Identity.SEED_LENGTH];
        random.nextBytes(seed);
        return seed;
    }
}
