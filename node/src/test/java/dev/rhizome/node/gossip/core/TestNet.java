package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.ResultSeen;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A tiny in-test network: cores whose effects become pending events, delivered one at a time in a
 * random order, so a property can explore interleavings. Checks the fetch invariants as it goes.
 */
final class TestNet {
    static final SignatureCheck SIGNATURES = new MemoisingSignatureCheck(SignatureCheck.envelopes(), 100_000);

    private sealed interface Event {
    }

    private record Deliver(int from, int to, Gossip message) implements Event {
    }

    private record Connect(int dialer, int target) implements Event {
    }

    private record FetchDone(int node, int from, String commit) implements Event {
    }

    private record Closed(int node, int peer) implements Event {
    }

    final Random random;
    final List<Identity> identities = new ArrayList<>();
    final List<NodeInfo> infos = new ArrayList<>();
    final List<GossipCore> cores = new ArrayList<>();
    private final Map<PublicId, Integer> index = new HashMap<>();
    private final List<Event> pending = new ArrayList<>();
    private final Set<Long> links = new HashSet<>();
    private final List<Map<String, Integer>> outstanding = new ArrayList<>();
    final List<Integer> fetchesPerNode = new ArrayList<>();
    final List<List<ResultSeen>> resultsSeen = new ArrayList<>();
    long now = 1_000_000;

    TestNet(int nodes, GossipConfig config, long seed) {
        this.random = new Random(seed);
        for (int i = 0; i < nodes; i++) {
            Identity id = Identity.generate();
            identities.add(id);
            NodeInfo info = NodeInfo.newBuilder().setNode(id.publicId().toByteString()).setHost("10.0.0." + i)
                    .setPort(7000 + i).build();
            infos.add(info);
            index.put(id.publicId(), i);
            cores.add(new GossipCore(id, info, config, new Random(random.nextLong()), SIGNATURES));
            outstanding.add(new HashMap<>());
            fetchesPerNode.add(0);
            resultsSeen.add(new ArrayList<>());
        }
    }

    /**
     * Each node bootstraps with {@code bootstrap} random others, one of them an earlier node, so the
     * known-peer graph is connected (a random tree plus extra edges).
     */
    void start(int bootstrap) {
        for (int i = 0; i < cores.size(); i++) {
            List<NodeInfo> peers = new ArrayList<>();
            if (i > 0) {
                peers.add(infos.get(random.nextInt(i)));
            }
            for (int k = 1; k < bootstrap; k++) {
                int j = random.nextInt(cores.size());
                if (j != i) {
                    peers.add(infos.get(j));
                }
            }
            apply(i, cores.get(i).start(peers, now));
        }
    }

    PublicId id(int node) {
        return identities.get(node).publicId();
    }

    void apply(int node, List<Effect> effects) {
        GossipCore core = cores.get(node);
        for (Effect effect : effects) {
            if (effect instanceof Send s) {
                int to = index.get(s.to());
                if (links.contains(link(node, to))) {
                    pending.add(new Deliver(node, to, s.message()));
                }
            } else if (effect instanceof Fetch f) {
                assertThat(core.holds(f.commit())).as("node %d fetches %s it holds", node, f.commit()).isFalse();
                assertThat(outstanding.get(node)).as("node %d fetches %s twice", node, f.commit())
                        .doesNotContainKey(f.commit());
                outstanding.get(node).put(f.commit(), index.get(f.from()));
                fetchesPerNode.set(node, fetchesPerNode.get(node) + 1);
                pending.add(new FetchDone(node, index.get(f.from()), f.commit()));
            } else if (effect instanceof CancelFetch c) {
                outstanding.get(node).remove(c.commit(), index.get(c.from()));
            } else if (effect instanceof Dial d) {
                pending.add(new Connect(node, index.get(PublicId.of(d.peer().getNode()))));
            } else if (effect instanceof Disconnect d) {
                int peer = index.get(d.peer());
                if (links.remove(link(node, peer))) {
                    pending.add(new Closed(node, peer));
                    pending.add(new Closed(peer, node));
                }
            } else if (effect instanceof ResultSeen r) {
                resultsSeen.get(node).add(r);
            }
        }
    }

    /** Delivers one random pending event; false when nothing is pending. */
    boolean step() {
        if (pending.isEmpty()) {
            return false;
        }
        now += random.nextInt(20);
        int pick = random.nextInt(pending.size());
        Event event = pending.get(pick);
        pending.set(pick, pending.get(pending.size() - 1));
        pending.remove(pending.size() - 1);
        if (event instanceof Deliver d) {
            if (links.contains(link(d.from(), d.to()))) {
                apply(d.to(), cores.get(d.to()).onMessage(id(d.from()), d.message(), now));
            }
        } else if (event instanceof Connect c) {
            connect(c.dialer(), c.target());
        } else if (event instanceof FetchDone f) {
            Integer asked = outstanding.get(f.node()).get(f.commit());
            if (asked != null && asked == f.from()) { // else it was cancelled: the adapter dropped it
                outstanding.get(f.node()).remove(f.commit());
                GossipCore core = cores.get(f.node());
                apply(f.node(), cores.get(f.from()).holds(f.commit())
                        ? core.onFetched(id(f.from()), f.commit(), 1000, now)
                        : core.onFetchFailed(id(f.from()), f.commit(), FetchFailure.NOT_FOUND, now));
            }
        } else if (event instanceof Closed c) {
            apply(c.node(), cores.get(c.node()).onDisconnected(id(c.peer()), now));
        }
        return true;
    }

    private void connect(int dialer, int target) {
        if (links.contains(link(dialer, target))) {
            apply(dialer, cores.get(dialer).onConnected(id(target), cores.get(target).signedSelfInfo(now), true, now));
            return;
        }
        List<Effect> accepted = cores.get(target).onConnected(id(dialer), cores.get(dialer).signedSelfInfo(now), false, now);
        if (refuses(accepted, dialer)) {
            apply(target, accepted);
            apply(dialer, cores.get(dialer).onDialFailed(id(target), now));
            return;
        }
        links.add(link(dialer, target));
        List<Effect> dialed = cores.get(dialer).onConnected(id(target), cores.get(target).signedSelfInfo(now), true, now);
        apply(target, accepted);
        apply(dialer, dialed);
    }

    private boolean refuses(List<Effect> effects, int peer) {
        return effects.stream().anyMatch(e -> e instanceof Disconnect d && d.peer().equals(id(peer)));
    }

    /** Runs events, ticking every node every {@code tickMs} of test time, until quiet and {@code done}, or the step budget ends. */
    void run(int maxSteps, long tickMs, BooleanSupplier done) {
        long nextTick = now + tickMs;
        for (int s = 0; s < maxSteps; s++) {
            if (now >= nextTick || pending.isEmpty()) {
                if (pending.isEmpty() && done.getAsBoolean()) {
                    return;
                }
                now = Math.max(now, nextTick);
                nextTick = now + tickMs;
                for (int i = 0; i < cores.size(); i++) {
                    apply(i, cores.get(i).onTick(now));
                }
            }
            step();
        }
    }

    boolean allHold(List<String> commits) {
        return cores.stream().allMatch(c -> commits.stream().allMatch(c::holds));
    }

    private static long link(int a, int b) {
        return ((long) Math.min(a, b) << 32) | Math.max(a, b);
    }
}
