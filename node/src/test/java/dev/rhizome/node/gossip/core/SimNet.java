package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.node.gossip.core.Effect.Unavailable;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A deterministic network simulator for {@link GossipCore}: every node's core runs on one virtual
 * clock, and everything the real network would decide (latency, transfer times, lost connections,
 * partitions, restarts, lying peers) is drawn from one seeded {@link Random}, so a seed is a whole
 * run and replays exactly (FoundationDB's and TigerBeetle's approach). Checks the protocol's
 * invariants after every step and throws {@link AssertionError} naming the first one broken.
 *
 * <p>Hostile nodes run a real core (so they link and gossip like anyone) but announce commits they
 * do not have, and answer fetches by staying silent, saying "not found", trickling bytes, or
 * sending a wrong bundle; some claim to keep every commit they are named to keep without fetching
 * it. A maker's confirmed keepers must all hold the commit. Some liars also flood: bursts of hundreds
 * of commits they do not hold, past what a neighbour's token bucket and want table take at once.
 *
 * <p>Some schedules are long (virtual time is free): an honest node stays down past the
 * coordinator's freshness window, drops off its list, and must come back into the network and
 * catch up. A node's peers file is written as the real node writes it: whole, through a temporary
 * file renamed over the old one, on a worker thread some time after its core asks; a crash before
 * the write lands leaves the previous file, never a torn one.
 */
final class SimNet {
    static final SignatureCheck SIGNATURES = new MemoisingSignatureCheck(SignatureCheck.envelopes(), 200_000);
    static final GossipConfig CONFIG = GossipConfig.defaults();
    /** The longest the core may sleep: a Wakeup it asks for later than this is a bug it must not have. */
    static final long MAX_SLEEP_MS = GossipCore.HOUSEKEEPING_MS;
    static final long BUNDLE_BYTES = 512 * 1024;

    /** What one seed's run looks like. */
    record Scenario(int honest, int hostile, int commits, int wants, double linkResetChance, int partitions,
                    int restarts, long maxLatencyMs, long faultsUntilMs, int keepers) {
        /** The nodes' policy: every bundle (keepers 0), or the wants filter with that many keepers per commit. */
        Wants policy() {
            return keepers == 0 ? Wants.everything() : Wants.workAndReplicas(keepers);
        }

        /** {@link #policy()} with a keep budget of {@code keepBytes}, each duty reserving one simulated bundle. */
        Wants policy(long keepBytes) {
            return keepers == 0 ? Wants.everything() : Wants.workAndReplicas(keepers, keepBytes, BUNDLE_BYTES);
        }

        static Scenario draw(Random r) {
            return new Scenario(4 + r.nextInt(9), r.nextInt(4), 1 + r.nextInt(5), r.nextInt(4),
                    r.nextDouble() < 0.5 ? 0 : r.nextDouble() * 0.02, r.nextInt(3), r.nextInt(3),
                    1 + r.nextInt(300), 20_000 + r.nextInt(60_000), r.nextBoolean() ? 0 : 1 + r.nextInt(3));
        }
    }

    /**
     * How a hostile node lies; CLAIMS_KEEP announces at once every commit it is named to keep, and
     * keeps nothing; DECLINES answers every ask "busy" with a 2 s hint (free, so it must rest instead of
     * being asked three times a commit, and never be banned).
     */
    private static final boolean TRACE = System.getProperty("simtrace") != null;

    enum Lie { SILENT, NOT_FOUND, TRICKLE, WRONG_BUNDLE, CLAIMS_KEEP, DECLINES }

    private abstract static class Event {
        long at;
        long seq;
    }

    private static final class Deliver extends Event {
        int from, to;
        long link;
        int generation;
        Gossip message;
    }

    private static final class Connect extends Event {
        int dialer, target;
    }

    private static final class Closed extends Event {
        int node, peer, epoch;
    }

    /** A wakeup the core asked for; only the latest one asked counts. */
    private static final class Tick extends Event {
        int node, epoch;
        long serial;
    }

    private static final class Transfer extends Event {
        int node, from, epoch;
        long id;
        String commit;
        long bytes;
        boolean done;
    }

    private static final class Fault extends Event {
        Runnable action;
    }

    final class Node {
        final int index;
        final Identity identity;
        final PublicId id;
        final NodeInfo info;
        final boolean honest;
        final Lie lie;
        final Set<String> repo = new LinkedHashSet<>();
        /** Commits made here (the repository's own marks): a restart names keepers only for these. */
        final Set<String> own = new HashSet<>();
        /** Commits this node gave up (its repository's budget), as an honest node does. */
        final Set<String> pruned = new HashSet<>();
        GossipCore core;
        int epoch;
        long wakeupSerial;
        boolean up = true;
        final Map<String, Transfer> outstanding = new HashMap<>();
        final Set<String> waitingFor = new LinkedHashSet<>();
        final Set<String> gaveUp = new HashSet<>();
        /** Commits a neighbour named this node to keep (an Inventory's keep list). */
        final Set<String> askedToKeep = new HashSet<>();
        /** Its peers.bin: the last save that landed on disk ({@link Effect.SavePeers}), read back at a restart. */
        List<SignedEnvelope> peersFile = List.of();
        /** Saves asked for, and the newest of them that landed: a later one never lands under an earlier one. */
        long savesAsked;
        long saveLanded;
        /** A long outage: not restarted by the short restarts' schedule before this. */
        long downUntilMs = Long.MIN_VALUE;
        /** Floods: announces bursts of commits it does not hold (hostile only). */
        boolean floods;
        /** When it last started, and when it went down (up: MIN_VALUE): when the coordinator last heard from it. */
        long upSinceMs;
        long downSinceMs = Long.MIN_VALUE;
        boolean stoppedCleanly;

        Node(int index, boolean honest) {
            this.index = index;
            byte[] key = new byte[Identity.SEED_LENGTH];
            random.nextBytes(key);
            this.identity = Identity.fromSeed(key);
            this.id = identity.publicId();
            this.info = NodeInfo.newBuilder().setNode(id.toByteString()).setHost("10.0." + (index / 250) + "." + (index % 250))
                    .setPort(7000).build();
            this.honest = honest;
            this.lie = honest ? null : Lie.values()[random.nextInt(Lie.values().length)];
            this.core = newCore();
        }

        GossipCore newCore() {
            return new GossipCore(identity, info, CONFIG, new Random(random.nextLong()), SIGNATURES,
                    keepBytes < 0 ? scenario.policy() : scenario.policy(keepBytes));
        }
    }

    final long seed;
    final long keepBytes;
    final Random random;
    final Scenario scenario;
    final List<Node> nodes = new ArrayList<>();
    final Map<PublicId, Node> byId = new HashMap<>();
    final List<String> honestCommits = new ArrayList<>();
    final Map<String, Node> originOf = new HashMap<>();
    final Set<String> fakeCommits = new LinkedHashSet<>();
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    /** Open links by pair key, with a generation so messages of a closed link die with it. */
    private final Map<Long, Integer> links = new LinkedHashMap<>();
    private int linkGenerations;
    private final Set<Integer> sideA = new HashSet<>();
    private boolean partitioned;
    private long seq;
    /** When the last message sent each way on each link arrives (links are FIFO, as TCP is). */
    private final Map<Long, Long> lastArrival = new HashMap<>();
    private long nextTransfer;
    long now = 1_000_000;
    /** A digest of everything that happened, to prove that a seed replays exactly. */
    long trace = 17;
    int steps;
    private List<Effect> current = List.of();
    /** Sees every effect of every node, in order ({@link SimDigestTest} digests them); null: none. */
    BiConsumer<Integer, Effect> observer;
    /**
     * Honest holders answer "busy" now and then until the faults end (their upload slots full), on a
     * random stream of their own so that every other draw of a seed stays as it was.
     */
    private final Random busy;
    private long busyUntilMs;
    /**
     * The coordinator's answers to a core's FindPeers, on a stream of their own so every other draw
     * of a seed stays as it was. Without them a node whose bootstrap named no live peer (node 0,
     * restarted, has no earlier node and may draw only itself) was cut off for good: the others, at
     * their degree, never dial it, and its FindPeers, the real node's way out, went unanswered.
     */
    private final Random coordinator;
    /** A core's first start is answered by its bootstrap list: its FindPeers then is not answered twice. */
    private boolean starting;
    /**
     * Whether a restart is a clean stop (the core's {@code stop} saves its peers) or a crash (the
     * peers file keeps the core's last periodic save), on a stream of its own.
     */
    private final Random stops;
    /** Restarts that began from a peers file the core had saved, and of those after a clean stop. */
    int restartsFromPeersFile;
    int restartsAfterCleanStop;
    /**
     * When a peers file write lands, on a stream of its own: the real node writes on a worker of the
     * fetch pool, which may be busy with transfers for seconds.
     */
    private final Random disk;
    static final long MAX_SAVE_DELAY_MS = 5_000;
    /** A clean stop writes its save at once, on the stopping thread (GossipService.close). */
    private boolean stopping;
    /** Crashes that lost a save still in flight: the restart read the previous whole file. */
    int crashesMidSave;
    /**
     * The long outages and the flooders, on a stream of their own so that every other draw of a seed
     * (its network, its faults) stays as it was.
     */
    private final Random longSchedules;
    /**
     * One seed in this many has a long outage: its quiet minutes still cost every node a tick a
     * second, ten times a short seed's steps, so they are few (and none under a keep budget, whose
     * seeds are about keeper duties), to keep a build's simulation cost where it was.
     */
    static final int LONG_OUTAGE_ONE_IN = 50;
    /** Whether this seed keeps an honest node down past the coordinator's freshness window. */
    final boolean longOutage;
    /**
     * One hostile node in this many floods: one burst of Inventories to one neighbour, each naming
     * one commit it does not hold, a little past the neighbour's token bucket (its burst is 200):
     * the bucket is per peer, and each message is a step of the simulation.
     */
    static final int FLOODER_ONE_IN = 8;
    static final int FLOOD_MIN = 220;
    static final int FLOOD_MAX = 320;
    /** Commits announced by flooders: held by nobody, as the fake ones. */
    final Set<String> floodCommits = new LinkedHashSet<>();
    /** Coordinator answers that left out a node down past the freshness window, and nodes that came back after one. */
    int staleLeftOut;
    int staleReturns;

    SimNet(long seed) {
        this(seed, -1);
    }

    /** @param keepBytes the honest and hostile nodes' keep budget under the wants filter; negative: the default */
    SimNet(long seed, long keepBytes) {
        this.keepBytes = keepBytes;
        this.seed = seed;
        this.random = new Random(seed);
        this.busy = new Random(seed * 37 + 11);
        this.coordinator = new Random(seed * 41 + 13);
        this.stops = new Random(seed * 43 + 17);
        this.disk = new Random(seed * 47 + 19);
        this.longSchedules = new Random(seed * 53 + 23);
        this.scenario = Scenario.draw(random);
        for (int i = 0; i < scenario.honest() + scenario.hostile(); i++) {
            Node n = new Node(i, i < scenario.honest());
            n.floods = !n.honest && longSchedules.nextInt(FLOODER_ONE_IN) == 0;
            nodes.add(n);
            byId.put(n.id, n);
        }
        boolean drawn = longSchedules.nextInt(LONG_OUTAGE_ONE_IN) == 0;
        this.longOutage = drawn && keepBytes < 0;
    }

    /** Runs the whole scenario: faults until faultsUntilMs, then a calm five minutes in which everything must arrive. */
    void run() {
        for (Node n : nodes) {
            start(n);
        }
        long faultsEnd = now + scenario.faultsUntilMs();
        busyUntilMs = faultsEnd;
        for (int c = 0; c < scenario.commits(); c++) {
            Node at = nodes.get(random.nextInt(scenario.honest()));
            String commit = commit();
            honestCommits.add(commit);
            originOf.put(commit, at);
            fault(random.nextLong(scenario.faultsUntilMs()), () -> {
                at.repo.add(commit);
                at.own.add(commit);
                trace(() -> "made " + commit.substring(0, 6) + " at " + at.index + " up " + at.up);
                at.waitingFor.remove(commit); // its work may have asked for it first: now it has it, as the driver says
                if (at.up) {
                    apply(at, at.core.onLocalCommit(commit, now));
                }
            });
        }
        for (Node liar : nodes.subList(scenario.honest(), nodes.size())) {
            for (int k = 0; k < 1 + random.nextInt(40); k++) {
                String fake = commit();
                fakeCommits.add(fake);
                fault(random.nextLong(scenario.faultsUntilMs()), () -> apply(liar, liar.core.onLocalCommit(fake, now)));
            }
        }
        for (Node flooder : nodes) {
            if (flooder.floods) {
                int size = FLOOD_MIN + longSchedules.nextInt(FLOOD_MAX - FLOOD_MIN + 1);
                fault(longSchedules.nextLong(scenario.faultsUntilMs()), () -> flood(flooder, size));
            }
        }
        for (int w = 0; w < scenario.wants(); w++) {
            // The work loop of an honest node needs a commit, real or fake, with hints that may lie.
            Node n = nodes.get(random.nextInt(scenario.honest()));
            long at = random.nextLong(scenario.faultsUntilMs());
            fault(at, () -> want(n));
        }
        for (int p = 0; p < scenario.partitions(); p++) {
            long start = random.nextLong(scenario.faultsUntilMs());
            long length = 1_000 + random.nextLong(60_000);
            fault(start, this::partition);
            fault(Math.min(start + length, scenario.faultsUntilMs()), this::heal);
        }
        for (int r = 0; r < scenario.restarts(); r++) {
            Node n = nodes.get(random.nextInt(scenario.honest()));
            long start = random.nextLong(scenario.faultsUntilMs());
            fault(start, () -> crash(n));
            fault(Math.min(start + 500 + random.nextLong(20_000), scenario.faultsUntilMs()), () -> restart(n));
        }
        if (longOutage) {
            // Down past the coordinator's freshness window: it drops off the coordinator's list, the
            // others' dials to it back off, and it must come back in and catch up.
            Node n = nodes.get(longSchedules.nextInt(scenario.honest()));
            long start = longSchedules.nextLong(scenario.faultsUntilMs());
            long length = NODE_FRESHNESS_MS + ANNOUNCE_MS + longSchedules.nextLong(2 * 60_000);
            fault(start, () -> {
                crash(n);
                n.downUntilMs = now + length;
            });
            fault(start + length, () -> restart(n));
            faultsEnd = Math.max(faultsEnd, now + start + length);
        }
        // Honest nodes give commits up (their repository's budget), on a random stream of its own so
        // every other draw, and so each seed's network and faults, stays as it was before pruning.
        Random prunes = new Random(seed * 31 + 7);
        for (int p = prunes.nextInt(4); p > 0; p--) {
            Node n = nodes.get(prunes.nextInt(scenario.honest()));
            fault(prunes.nextLong(scenario.faultsUntilMs()), () -> prune(n, prunes));
        }
        runUntil(faultsEnd);
        heal();
        for (Node n : nodes) {
            if (!n.up) {
                restart(n);
            }
        }
        // The work loop asks again (as CommitFetcher does, with the coordinator naming the maker) for the
        // honest commits it gave up on under faults: each must now arrive.
        for (Node n : nodes.subList(0, scenario.honest())) {
            for (String commit : List.copyOf(n.gaveUp)) {
                Node origin = originOf.get(commit);
                if (origin != null && origin.repo.contains(commit) && !n.repo.contains(commit)) {
                    n.gaveUp.remove(commit);
                    n.waitingFor.add(commit);
                    apply(n, n.core.want(commit, List.of(origin.id), now));
                }
            }
        }
        // Calm: up to five minutes for everything to arrive (a redial backs off to a minute at most).
        long calm = faultsEnd + 5 * 60_000;
        while (now < calm && !delivered()) {
            runUntil(Math.min(calm, now + 5_000));
        }
        checkLiveness();
    }

    /** Gossip messages the honest nodes' current cores turned away past a peer's token bucket. */
    long rateLimitedAtHonest() {
        return nodes.subList(0, scenario.honest()).stream().mapToLong(n -> n.core.stats().rateLimited()).sum();
    }

    /**
     * A flooder sends one of its neighbours {@code size} Inventories at once, each naming a commit it
     * does not hold: past its own core's pace, and past what the neighbour's token bucket lets in.
     */
    private void flood(Node flooder, int size) {
        if (!flooder.up) {
            return;
        }
        List<Node> linked = new ArrayList<>();
        for (Node other : nodes) {
            if (other != flooder && links.containsKey(key(flooder.index, other.index))) {
                linked.add(other);
            }
        }
        if (linked.isEmpty()) {
            return;
        }
        Node to = linked.get(longSchedules.nextInt(linked.size()));
        trace(() -> "flood " + size + " from " + flooder.index + " to " + to.index);
        for (int k = 0; k < size; k++) {
            String fake = commit(longSchedules);
            floodCommits.add(fake);
            Inventory inventory = Inventory.newBuilder().setNode(flooder.id.toByteString()).addCommits(fake).setTimeMs(now).build();
            Gossip message = Gossip.newBuilder().setAnnouncement(Envelopes.sign(flooder.identity, inventory)).build();
            send(flooder, to, message);
        }
    }

    /** {@code n} gives up a few commits it holds that it did not make and its work does not wait for. */
    private void prune(Node n, Random r) {
        if (!n.up) {
            return;
        }
        List<String> candidates = new ArrayList<>();
        for (String commit : n.repo) {
            if (!n.own.contains(commit) && !n.waitingFor.contains(commit)) {
                candidates.add(commit);
            }
        }
        List<String> given = new ArrayList<>();
        for (int k = 1 + r.nextInt(3); k > 0 && !candidates.isEmpty(); k--) {
            given.add(candidates.remove(r.nextInt(candidates.size())));
        }
        if (!given.isEmpty()) {
            given.forEach(n.repo::remove);
            trace(() -> "prune at " + n.index + " " + given.stream().map(c -> c.substring(0, 6)).toList());
            n.pruned.addAll(given);
            apply(n, n.core.onDropped(given, now));
        }
    }

    private void want(Node n) {
        List<String> pool = new ArrayList<>(honestCommits);
        pool.addAll(fakeCommits);
        if (pool.isEmpty() || !n.up) {
            return;
        }
        String commit = pool.get(random.nextInt(pool.size()));
        List<PublicId> hints = new ArrayList<>();
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
            hints.add(nodes.get(random.nextInt(nodes.size())).id);
        }
        if (n.repo.contains(commit)) {
            return;
        }
        n.waitingFor.add(commit);
        trace(() -> "want " + commit.substring(0, 6) + " at " + n.index + " hints " + hints.stream().map(h -> byId.get(h).index).toList());
        apply(n, n.core.want(commit, hints, now));
    }

    /** A node's first start: its bootstrap list stands for the coordinator's answer. */
    private void start(Node n) {
        List<NodeInfo> bootstrap = bootstrapFor(n);
        trace(() -> "start " + n.index + " bootstrap " + bootstrap.stream().map(i -> byId.get(PublicId.of(i.getNode())).index).toList());
        n.upSinceMs = now;
        starting = true;
        try {
            apply(n, n.core.start(bootstrap, now));
        } finally {
            starting = false;
        }
    }

    /**
     * A restarted node starts as GossipService does: from its peers file (none if its core never
     * saved one), and asks the coordinator for more.
     */
    private void startFromPeersFile(Node n) {
        List<NodeInfo> remembered = new ArrayList<>();
        for (SignedEnvelope record : n.peersFile) {
            try {
                remembered.add(Envelopes.openSignedBy(record, NodeInfo.getDefaultInstance(), NodeInfo::getNode).record());
            } catch (SignatureException e) {
                throw new AssertionError("node " + n.index + " saved a peer record that does not verify: " + e.getMessage(), e);
            }
        }
        if (!remembered.isEmpty()) {
            restartsFromPeersFile++;
            if (n.stoppedCleanly) {
                restartsAfterCleanStop++;
            }
        }
        trace(() -> "start " + n.index + " remembered " + remembered.stream().map(i -> byId.get(PublicId.of(i.getNode())).index).toList());
        n.upSinceMs = now;
        apply(n, n.core.start(remembered, now));
    }

    /** As the real coordinator's {@code PeerDirectory}: nodes announce every 10 s while up, and one silent 10 minutes is not listed. */
    static final long ANNOUNCE_MS = 10_000;
    static final long NODE_FRESHNESS_MS = 10 * 60_000;
    static final int MAX_NODES_LISTED = 64;

    /** When the coordinator last heard from {@code n}: its last announcement, every {@link #ANNOUNCE_MS} since it started. */
    private long lastSeenMs(Node n) {
        long until = n.up ? now : n.downSinceMs;
        return n.upSinceMs + (until - n.upSinceMs) / ANNOUNCE_MS * ANNOUNCE_MS;
    }

    /**
     * The coordinator answers a FindPeers after a round trip, as GossipService does, with the nodes
     * it heard from lately, newest first (as {@code PeerDirectory.nodes}), other than the asker
     * (liars announce too): a node down for less than {@link #NODE_FRESHNESS_MS} is still listed.
     */
    private void findPeers(Node n) {
        int epoch = n.epoch;
        List<Node> fresh = new ArrayList<>();
        for (Node other : nodes) {
            if (other != n && now - lastSeenMs(other) < NODE_FRESHNESS_MS) {
                fresh.add(other);
            } else if (other != n) {
                staleLeftOut++;
            }
        }
        fresh.sort(Comparator.comparingLong((Node o) -> -lastSeenMs(o)).thenComparingInt(o -> o.index));
        List<NodeInfo> answer = fresh.stream().limit(MAX_NODES_LISTED).map(o -> o.info).toList();
        fault(2 * latency(coordinator), () -> {
            if (n.up && n.epoch == epoch) {
                trace(() -> "learn at " + n.index + " " + answer.stream().map(i -> byId.get(PublicId.of(i.getNode())).index).toList());
                apply(n, n.core.learn(answer, now));
            }
        });
    }

    private List<NodeInfo> bootstrapFor(Node n) {
        List<NodeInfo> out = new ArrayList<>();
        if (n.index > 0) {
            out.add(nodes.get(random.nextInt(n.index)).info); // an earlier node: the known-peer graph is connected
        }
        for (int k = 0; k < 2; k++) {
            Node other = nodes.get(random.nextInt(nodes.size()));
            if (other != n) {
                out.add(other.info);
            }
        }
        return out;
    }

    // --- faults -----------------------------------------------------------------------------------

    private void partition() {
        trace(() -> "partition");
        sideA.clear();
        for (Node n : nodes) {
            if (random.nextBoolean()) {
                sideA.add(n.index);
            }
        }
        partitioned = true;
        for (Long key : new ArrayList<>(links.keySet())) {
            int a = (int) (key >> 32);
            int b = (int) (long) key;
            if (cut(a, b)) {
                closeLink(a, b);
            }
        }
    }

    private void heal() {
        trace(() -> "heal");
        partitioned = false;
    }

    private boolean cut(int a, int b) {
        return partitioned && sideA.contains(a) != sideA.contains(b);
    }

    private void crash(Node n) {
        if (!n.up) {
            return;
        }
        n.stoppedCleanly = stops.nextBoolean();
        if (n.stoppedCleanly) {
            trace(() -> "stop " + n.index);
            stopping = true;
            try {
                apply(n, n.core.stop(now));  // a clean stop saves its peers; a crash keeps the last save that landed
            } finally {
                stopping = false;
            }
        } else if (n.saveLanded < n.savesAsked) {
            crashesMidSave++;
            trace(() -> "crash mid-save at " + n.index);
        }
        n.up = false;
        n.downSinceMs = now;
        trace(() -> "crash " + n.index);
        n.epoch++;
        n.outstanding.clear();
        for (Long key : new ArrayList<>(links.keySet())) {
            int a = (int) (key >> 32);
            int b = (int) (long) key;
            if (a == n.index || b == n.index) {
                closeLink(a, b);
            }
        }
    }

    /** A fresh core, as after a process restart; the repository (and so what it holds) survives. */
    private void restart(Node n) {
        if (n.up || now < n.downUntilMs) {
            return;
        }
        if (now - lastSeenMs(n) >= NODE_FRESHNESS_MS) {
            staleReturns++; // the coordinator no longer lists it
        }
        n.up = true;
        trace(() -> "restart " + n.index);
        n.core = n.newCore();
        for (String commit : n.repo) {
            apply(n, n.core.onHeld(commit, n.own.contains(commit), now));
        }
        startFromPeersFile(n);
        // The work loop asks again for what it still waits for.
        for (String commit : List.copyOf(n.waitingFor)) {
            apply(n, n.core.want(commit, List.of(nodes.get(random.nextInt(nodes.size())).id), now));
        }
    }

    private void closeLink(int a, int b) {
        trace(() -> "close " + a + "-" + b + " linked " + links.containsKey(key(a, b)));
        if (links.remove(key(a, b)) != null) {
            Closed ca = new Closed();
            ca.node = a;
            ca.peer = b;
            ca.epoch = nodes.get(a).epoch;
            schedule(ca, latency());
            Closed cb = new Closed();
            cb.node = b;
            cb.peer = a;
            cb.epoch = nodes.get(b).epoch;
            schedule(cb, latency());
        }
    }

    // --- the loop ---------------------------------------------------------------------------------

    private void runUntil(long endMs) {
        while (!queue.isEmpty() && queue.peek().at <= endMs) {
            Event e = queue.poll();
            now = Math.max(now, e.at);
            steps++;
            trace = trace * 31 + e.getClass().getSimpleName().hashCode() * 7 + now;
            handle(e);
        }
        now = Math.max(now, endMs);
    }

    private void handle(Event e) {
        if (e instanceof Tick t) {
            Node n = nodes.get(t.node);
            if (n.up && n.epoch == t.epoch && n.wakeupSerial == t.serial) {
                apply(n, n.core.onTick(now));
            }
        } else if (e instanceof Deliver d) {
            Integer generation = links.get(d.link);
            Node to = nodes.get(d.to);
            if (generation != null && generation == d.generation && to.up) {
                noteKeepers(to, d.message);
                trace(() -> "deliver " + d.from + "->" + d.to + " " + describe(d.message));
                if (!to.honest && to.lie == Lie.CLAIMS_KEEP) {
                    for (String commit : List.copyOf(to.askedToKeep)) {
                        if (!to.core.holds(commit)) {
                            apply(to, to.core.onLocalCommit(commit, now)); // "kept": announced, never fetched
                        }
                    }
                }
                apply(to, to.core.onMessage(nodes.get(d.from).id, d.message, now));
            }
        } else if (e instanceof Connect c) {
            connect(nodes.get(c.dialer), nodes.get(c.target));
        } else if (e instanceof Closed c) {
            Node n = nodes.get(c.node);
            if (n.up && n.epoch == c.epoch) {
                apply(n, n.core.onDisconnected(nodes.get(c.peer).id, now));
            }
        } else if (e instanceof Transfer t) {
            transfer(t);
        } else if (e instanceof Fault f) {
            f.action.run();
        }
    }

    private void noteKeepers(Node to, Gossip message) {
        SignedEnvelope e = message.getAnnouncement();
        if (message.hasAnnouncement() && e.getType().equals(Inventory.getDescriptor().getFullName())) {
            try {
                Inventory inventory = Inventory.parseFrom(e.getPayload());
                if (inventory.getKeepList().contains(to.id.toByteString())) {
                    to.askedToKeep.addAll(inventory.getCommitsList());
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException bad) {
                // not ours to judge: the core scores it
            }
        }
    }

    private void connect(Node dialer, Node target) {
        trace(() -> "connect " + dialer.index + "->" + target.index);
        if (!dialer.up) {
            return;
        }
        if (!target.up || cut(dialer.index, target.index)) {
            apply(dialer, dialer.core.onDialFailed(target.id, now));
            return;
        }
        long key = key(dialer.index, target.index);
        if (links.containsKey(key)) {
            apply(dialer, dialer.core.onConnected(target.id, target.core.signedSelfInfo(now), true, now));
            return;
        }
        List<Effect> accepted = target.core.onConnected(dialer.id, dialer.core.signedSelfInfo(now), false, now);
        if (accepted.stream().anyMatch(x -> x instanceof Disconnect d && d.peer().equals(dialer.id))) {
            apply(target, accepted);
            apply(dialer, dialer.core.onDialFailed(target.id, now));
            return;
        }
        links.put(key, ++linkGenerations);
        List<Effect> dialed = dialer.core.onConnected(target.id, target.core.signedSelfInfo(now), true, now);
        apply(target, accepted);
        apply(dialer, dialed);
    }

    private void transfer(Transfer t) {
        Node n = nodes.get(t.node);
        Transfer current = n.outstanding.get(t.commit);
        if (System.getProperty("simdebug") != null && n.index == Integer.getInteger("simdebug")) {
            System.out.println("t=" + now + " transfer " + t.commit.substring(0, 6) + " from " + t.from + " bytes " + t.bytes + " current " + (current == t) + " up " + n.up + " epoch " + (n.epoch == t.epoch));
        }
        if (!n.up || n.epoch != t.epoch || current != t) {
            return; // cancelled, or the node restarted
        }
        Node from = nodes.get(t.from);
        trace(() -> "transfer " + t.commit.substring(0, 6) + " " + t.from + "->" + t.node + " up " + from.up + " cut " + cut(n.index, from.index) + " honest " + from.honest);
        PublicId fromId = from.id;
        if (!from.up || cut(n.index, from.index)) {
            n.outstanding.remove(t.commit);
            apply(n, n.core.onFetchFailed(fromId, t.commit, FetchFailure.CONNECTION_LOST, now));
            return;
        }
        if (!from.honest) {
            switch (from.lie) {
                case SILENT -> { }
                case NOT_FOUND, CLAIMS_KEEP -> {
                    n.outstanding.remove(t.commit);
                    apply(n, n.core.onFetchFailed(fromId, t.commit, FetchFailure.NOT_FOUND, now));
                }
                case WRONG_BUNDLE -> {
                    n.outstanding.remove(t.commit);
                    apply(n, n.core.onFetchFailed(fromId, t.commit, FetchFailure.WRONG_BUNDLE, now));
                }
                case DECLINES -> {
                    // BUSY to everything forever, asking for a short wait each time: it must rest, never be banned.
                    n.outstanding.remove(t.commit);
                    apply(n, n.core.onFetchBusy(fromId, t.commit, 2_000, now));
                }
                case TRICKLE -> {
                    t.bytes += 100;
                    apply(n, n.core.onFetchProgress(fromId, t.commit, t.bytes, now));
                    schedule(t, 1_000);
                }
            }
            return;
        }
        if (!from.repo.contains(t.commit)) {
            n.outstanding.remove(t.commit);
            apply(n, n.core.onFetchFailed(fromId, t.commit, FetchFailure.NOT_FOUND, now));
            return;
        }
        if (t.bytes == 0 && now < busyUntilMs && busy.nextDouble() < 0.15) {
            // Its builders or upload slots full: BUSY at once, half the time with a hint of when it has
            // room (1 to 10 s, as BundleBuilders estimates), half the time none, as an older node answers.
            n.outstanding.remove(t.commit);
            long hint = busy.nextBoolean() ? 1_000 + busy.nextInt(9_000) : 0;
            apply(n, n.core.onFetchBusy(fromId, t.commit, hint, now));
            return;
        }
        if (random.nextDouble() < scenario.linkResetChance()) {
            n.outstanding.remove(t.commit);
            apply(n, n.core.onFetchFailed(fromId, t.commit, FetchFailure.CONNECTION_LOST, now));
            return;
        }
        // An honest transfer moves at least a minimum-progress step per report: slow is fine, stalled is not.
        t.bytes = Math.min(BUNDLE_BYTES, t.bytes + StallFloor.MIN_PROGRESS_BYTES * (1 + random.nextInt(4)));
        if (t.bytes < BUNDLE_BYTES) {
            apply(n, n.core.onFetchProgress(fromId, t.commit, t.bytes, now));
            schedule(t, 100 + random.nextInt(900));
            return;
        }
        n.outstanding.remove(t.commit);
        check(!n.repo.contains(t.commit), n, "fetched %s twice", t.commit);
        n.repo.add(t.commit);
        n.waitingFor.remove(t.commit);
        // The server saw the whole bundle go to n (as PeerServer tells GossipService): a keeper's evidence.
        apply(from, from.core.onServed(n.id, t.commit, now));
        apply(n, n.core.onFetched(fromId, t.commit, t.bytes, now));
    }

    // --- effects and invariants -------------------------------------------------------------------

    void apply(Node n, List<Effect> effects) {
        current = effects;
        if (System.getProperty("simdebug") != null && n.index == Integer.getInteger("simdebug")) {
            System.out.println("t=" + now + " node " + n.index + " " + describe(effects) + " links=" + n.core.connectedPeers().size());
        }
        for (Effect effect : effects) {
            trace = trace * 31 + effect.getClass().getSimpleName().hashCode();
            if (observer != null) {
                observer.accept(n.index, effect);
            }
            if (effect instanceof Effect.Wakeup w) {
                // The core owns time: it is ticked only when it asks, and must never sleep past its housekeeping.
                check(w.atMs() >= now && w.atMs() <= now + MAX_SLEEP_MS, n, "asks to wake at %d, now %d", w.atMs(), now);
                Tick t = tick(n);
                t.serial = ++n.wakeupSerial;
                schedule(t, w.atMs() - now);
            } else if (effect instanceof Send s) {
                Node to = byId.get(s.to());
                long key = key(n.index, to.index);
                Integer generation = links.get(key);
                if (generation == null) {
                    continue; // the core will hear of the close
                }
                if (random.nextDouble() < scenario.linkResetChance()) {
                    closeLink(n.index, to.index); // a lost segment ends as a reset connection
                    continue;
                }
                send(n, to, s.message());
            } else if (effect instanceof Fetch f) {
                Node from = byId.get(f.from());
                check(!n.core.holds(f.commit()), n, "fetches %s which it holds", f.commit());
                check(!n.outstanding.containsKey(f.commit()), n, "fetches %s twice at once", f.commit());
                check(!n.core.isBanned(f.from(), now), n, "asks banned peer %d for a bundle", from.index);
                check(n.outstanding.size() < GossipCore.MAX_CONCURRENT_FETCHES, n, "has more than %d fetches out",
                        GossipCore.MAX_CONCURRENT_FETCHES);
                check(scenario.policy().all() || !n.honest || n.waitingFor.contains(f.commit())
                        || n.askedToKeep.contains(f.commit()), n, "fetches %s, which neither its work nor a keep list asked for",
                        f.commit());
                Transfer t = new Transfer();
                t.node = n.index;
                t.from = from.index;
                t.epoch = n.epoch;
                t.id = ++nextTransfer;
                t.commit = f.commit();
                n.outstanding.put(f.commit(), t);
                schedule(t, latency() + random.nextInt(500));
            } else if (effect instanceof CancelFetch c) {
                Transfer t = n.outstanding.get(c.commit());
                if (t != null && t.from == byId.get(c.from()).index) {
                    n.outstanding.remove(c.commit());
                }
            } else if (effect instanceof Dial d) {
                Node target = byId.get(PublicId.of(d.peer().getNode()));
                check(!n.core.isBanned(target.id, now), n, "dials banned peer %d", target.index);
                Connect c = new Connect();
                c.dialer = n.index;
                c.target = target.index;
                schedule(c, latency());
            } else if (effect instanceof Disconnect d) {
                Node peer = byId.get(d.peer());
                if (n.honest && peer.honest) {
                    check(!d.reason().startsWith("banned"), n, "bans honest node %d: %s", peer.index, d.reason());
                }
                closeLink(n.index, peer.index);
            } else if (effect instanceof Effect.SavePeers save) {
                savePeers(n, List.copyOf(save.peers()));
            } else if (effect instanceof Effect.FindPeers && !starting) {
                findPeers(n);
            } else if (effect instanceof Unavailable u) {
                n.waitingFor.remove(u.commit());
                n.gaveUp.add(u.commit());
            }
        }
        if (n.honest && !scenario.policy().all()) {
            for (String commit : honestCommits) {
                for (PublicId keeper : n.core.confirmedKeepers(commit)) {
                    Node k = byId.get(keeper);
                    // One that gave it up is counted until its withdrawal arrives (a message's latency).
                    check(k.repo.contains(commit) || k.pruned.contains(commit), n, "counts node %d%s as a keeper of %s, which it does not hold", k.index,
                            k.honest ? "" : " (hostile)", commit);
                }
            }
        }
        if (n.honest) {
            // Not a ban only: an honest node never lowers an honest node's score at all.
            for (Node other : nodes.subList(0, scenario.honest())) {
                if (other != n) {
                    check(n.core.score(other.id) >= 0, n, "scores honest node %d at %.1f", other.index, n.core.score(other.id));
                }
            }
            GossipStats stats = n.core.stats();
            check(stats.peerTableSize() <= CONFIG.maxKnownPeers(), n, "peer table past its bound: %d", stats.peerTableSize());
            check(stats.wanted() <= Math.max(CONFIG.maxCommitsPerInventory(), CONFIG.maxSeen() / 10) + scenario.wants(), n,
                    "wants past their bound: %d", stats.wanted());
        }
    }

    /** Puts {@code message} on the open link from {@code n} to {@code to}. */
    private void send(Node n, Node to, Gossip message) {
        long key = key(n.index, to.index);
        trace(() -> "send " + n.index + "->" + to.index + " " + describe(message));
        Deliver d = new Deliver();
        d.from = n.index;
        d.to = to.index;
        d.link = key;
        d.generation = links.get(key);
        d.message = message;
        // A link is one TCP connection: its messages arrive in the order they were sent.
        long direction = key * 2 + (n.index < to.index ? 0 : 1);
        long arrival = Math.max(now + latency(), lastArrival.getOrDefault(direction, 0L));
        lastArrival.put(direction, arrival);
        schedule(d, arrival - now);
    }

    /**
     * Writes {@code n}'s peers file as KnownPeers does: whole (DurableFiles.replace), at once on a
     * clean stop, else on a worker some time later; a crash before then leaves the previous file.
     */
    private void savePeers(Node n, List<SignedEnvelope> peers) {
        long serial = ++n.savesAsked;
        if (stopping) {
            n.peersFile = peers;
            n.saveLanded = serial;
            return;
        }
        int epoch = n.epoch;
        fault(1 + disk.nextLong(MAX_SAVE_DELAY_MS), () -> {
            if (n.epoch == epoch && serial > n.saveLanded) {
                n.peersFile = peers;
                n.saveLanded = serial;
            }
        });
    }

    private boolean delivered() {
        for (Node n : nodes.subList(0, scenario.honest())) {
            if (!n.waitingFor.isEmpty() || (scenario.policy().all() && !holdsOrGaveUp(n, honestCommits))) {
                return false;
            }
        }
        if (!scenario.policy().all()) {
            for (String commit : honestCommits) {
                if (honestHolders(commit) < keptCopies()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean holdsOrGaveUp(Node n, Collection<String> commits) {
        for (String commit : commits) {
            if (!n.repo.contains(commit) && !n.pruned.contains(commit)) {
                return false;
            }
        }
        return true;
    }

    private long honestHolders(String commit) {
        return nodes.subList(0, scenario.honest()).stream().filter(n -> n.repo.contains(commit)).count();
    }

    /**
     * Copies of each honest commit the wants filter must end up with: its maker and at least one
     * keeper (a liar named keeper keeps nothing, so with liars about only the maker is certain).
     */
    private int keptCopies() {
        return scenario.hostile() == 0 ? 2 : 1;
    }

    /** After the calm period: every honest node holds every honest commit, no fake one, and no work waits forever. */
    private void checkLiveness() {
        for (String commit : honestCommits) {
            Node origin = originOf.get(commit);
            check(scenario.policy().all() || honestHolders(commit) >= keptCopies(), origin,
                    "made %s, now held by %d honest nodes, fewer than %d", commit, honestHolders(commit), keptCopies());
        }
        for (Node n : nodes.subList(0, scenario.honest())) {
            for (String commit : scenario.policy().all() ? honestCommits : List.<String>of()) {
                check(n.repo.contains(commit) || n.pruned.contains(commit), n, "never got honest commit %s", commit);
            }
            for (String fake : fakeCommits) {
                check(!n.repo.contains(fake), n, "holds fake commit %s", fake);
            }
            for (String flooded : floodCommits) {
                check(!n.repo.contains(flooded), n, "holds flooded commit %s", flooded);
            }
            check(n.waitingFor.isEmpty(), n, "work still waits for %s with no answer", n.waitingFor);
        }
    }

    private static String describe(Gossip message) {
        if (message.hasAnnouncement() && message.getAnnouncement().getType().equals(Inventory.getDescriptor().getFullName())) {
            try {
                Inventory i = Inventory.parseFrom(message.getAnnouncement().getPayload());
                return "Inventory held " + i.getCommitsList().stream().map(c -> c.substring(0, 6)).toList()
                        + " gone " + i.getGoneList().stream().map(c -> c.substring(0, 6)).toList()
                        + (i.getKeepCount() > 0 ? " keep " + i.getKeepCount() : "");
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                return "malformed Inventory";
            }
        }
        return message.getBodyCase().toString();
    }

    /** With {@code -Dsimtrace}: the faults, commits, wants, links and transfers, to see why a seed fails. */
    private void trace(Supplier<String> what) {
        if (TRACE) {
            System.out.println("t=" + now + " " + what.get());
        }
    }

    private void check(boolean ok, Node n, String what, Object... args) {
        if (!ok) {
            throw new AssertionError("seed " + seed + " " + scenario + " at t=" + now + ": node " + n.index
                    + (n.honest ? "" : " (hostile)") + " " + String.format(what, args) + "; in step " + describe(current));
        }
    }

    private String describe(List<Effect> effects) {
        List<String> out = new ArrayList<>();
        for (Effect e : effects) {
            if (e instanceof Fetch f) {
                out.add("Fetch(" + byId.get(f.from()).index + "," + f.commit().substring(0, 6) + ")");
            } else if (e instanceof CancelFetch c) {
                out.add("Cancel(" + byId.get(c.from()).index + "," + c.commit().substring(0, 6) + ")");
            } else if (e instanceof Disconnect d) {
                out.add("Disconnect(" + byId.get(d.peer()).index + ": " + d.reason() + ")");
            } else if (e instanceof Effect.Wakeup w) {
                out.add("Wakeup(+" + (w.atMs() - now) + ")");
            } else {
                out.add(e.getClass().getSimpleName());
            }
        }
        return out.toString();
    }

    // --- plumbing ---------------------------------------------------------------------------------

    private Tick tick(Node n) {
        Tick t = new Tick();
        t.node = n.index;
        t.epoch = n.epoch;
        return t;
    }

    private void fault(long afterMs, Runnable action) {
        Fault f = new Fault();
        f.action = action;
        schedule(f, afterMs);
    }

    private void schedule(Event e, long afterMs) {
        e.at = now + afterMs;
        e.seq = seq++;
        queue.add(e);
    }

    private long latency() {
        return latency(random);
    }

    private long latency(Random r) {
        return 1 + r.nextLong(scenario.maxLatencyMs());
    }

    private String commit() {
        return commit(random);
    }

    private static String commit(Random r) {
        byte[] b = new byte[20];
        r.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static long key(int a, int b) {
        return ((long) Math.min(a, b) << 32) | Math.max(a, b);
    }
}
