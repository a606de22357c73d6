package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/** What this node signs as itself: its NodeInfo for hellos and relays, kept fresh, and its Inventories. */
final class SelfSigner {
    /** Our NodeInfo for hellos is re-signed this often, well inside the age a hello may have. */
    static final long RESIGN_MS = 60_000;

    private final Identity self;
    private final PublicId selfId;
    private final NodeInfo selfInfo;
    private final GossipConfig config;
    private final GossipNetwork network;
    /** Dates what is signed by the wall clock; every other time here is the core's own. */
    private final CoreClock clock;
    private SignedEnvelope signedSelf;
    private long signedSelfAtMs;
    /** The network {@link #signedSelf} names (null: none, as signed before it was known). */
    private String signedForNetwork;
    /** Whether the driver was given a NodeInfo for its hellos ({@link #hello}) yet. */
    private boolean helloGiven;
    /** The network the NodeInfo last given to the driver for its hellos names (null: none). */
    private String helloNetwork;

    SelfSigner(Identity self, NodeInfo selfInfo, GossipConfig config) {
        this(self, selfInfo, config, GossipNetwork.unnamed(), new CoreClock());
    }

    SelfSigner(Identity self, NodeInfo selfInfo, GossipConfig config, GossipNetwork network, CoreClock clock) {
        this.network = network;
        this.clock = clock;
        this.self = self;
        this.selfId = self.publicId();
        this.selfInfo = selfInfo.toBuilder().setNode(selfId.toByteString()).build();
        this.config = config;
    }

    PublicId id() {
        return selfId;
    }

    /**
     * This node's NodeInfo signed; re-signed once it is half a seen window old, so it is always
     * fresh, and once the network it names is not the one known now.
     */
    SignedEnvelope selfInfo(long now) {
        if (signedSelf == null || now - signedSelfAtMs > config.seenTtl().toMillis() / 2 || networkChanged()) {
            signedForNetwork = network.id();
            signedSelf = sign(selfInfo.toBuilder().setTimeMs(clock.wallMs(now)).build(), signedForNetwork);
            signedSelfAtMs = now;
        }
        return signedSelf;
    }

    /**
     * Re-signed now when {@link #RESIGN_MS} passed since the last signature (or none was made), or
     * when the network was learnt (or changed) since; null otherwise. The network's case matters on a
     * node's first start: its hellos are signed for no network until the coordinator answers, and
     * every peer that knows the network refuses them (as from a release that must upgrade); the end
     * of every step asks too ({@link #helloIfNetworkLearnt}).
     */
    SignedEnvelope resignedIfDue(long now) {
        if (signedSelf == null || now - signedSelfAtMs >= RESIGN_MS || networkChanged()) {
            signedSelf = null;
            return hello(now);
        }
        return null;
    }

    /** This node's NodeInfo signed, as given to the driver for the hellos of new links. */
    SignedEnvelope hello(long now) {
        SignedEnvelope signed = selfInfo(now);
        helloGiven = true;
        helloNetwork = signed.getVersion() == Envelopes.VERSION ? signed.getNetwork() : null;
        return signed;
    }

    /**
     * The NodeInfo signed for the network learnt since the driver was last given one for its
     * hellos; null when that one names the network known now (or none was given yet). Asked at the
     * end of every step, so a network learnt on another thread (the coordinator's first answer) is
     * in the hellos before any link the step opens: a step that learnt peers dialled them at once
     * with the hello signed for no network, which every peer of the network refused.
     */
    SignedEnvelope helloIfNetworkLearnt(long now) {
        if (!helloGiven || Objects.equals(network.id(), helloNetwork)) {
            return null;
        }
        return hello(now);
    }

    /**
     * The wall clock stepped: the NodeInfo given for hellos is dated by the clock as it was, so a
     * step back has it from the future and a step on has it old in peers' eyes; signed again now.
     */
    SignedEnvelope resignedForStep(long now) {
        signedSelf = null;
        return hello(now);
    }

    /** When the NodeInfo is next due to be re-signed. */
    long nextResignMs() {
        return signedSelfAtMs + RESIGN_MS;
    }

    SignedEnvelope inventory(Collection<String> commits, List<PublicId> keepers, long now) {
        return inventory(commits, keepers, List.of(), List.of(), now);
    }

    /** An Inventory of what this node holds, names to keep, gave up ({@code gone}) and keeps no more ({@code released}). */
    SignedEnvelope inventory(Collection<String> commits, List<PublicId> keepers, Collection<String> gone,
                             Collection<String> released, long now) {
        Inventory.Builder inventory = Inventory.newBuilder().setNode(selfId.toByteString()).addAllCommits(commits)
                .addAllGone(gone).addAllReleased(released).setTimeMs(clock.wallMs(now));
        keepers.forEach(k -> inventory.addKeep(k.toByteString()));
        return sign(inventory.build());
    }

    private boolean networkChanged() {
        return !Objects.equals(network.id(), signedForNetwork);
    }

    /** Signed for this node's network once it is known; until then naming none, as older nodes sign. */
    private SignedEnvelope sign(com.google.protobuf.Message record) {
        return sign(record, network.id());
    }

    private SignedEnvelope sign(com.google.protobuf.Message record, String id) {
        return id == null ? Envelopes.sign(self, record) : Envelopes.sign(self, id, record);
    }
}
