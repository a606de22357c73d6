package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.FetchFailure;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.gossip.core.Violation;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Function;

/** The gossip core as the service's protocol. */
public final class CoreProtocol implements PeerProtocol {
    private final GossipCore core;

    public CoreProtocol(GossipCore core) {
        this.core = core;
    }

    /** A factory for {@link GossipService#start}: a core per node, verifying every signature. */
    public static Function<NodeInfo, PeerProtocol> factory(Identity identity, GossipConfig config) {
        return self -> new CoreProtocol(new GossipCore(identity, self, config, new SecureRandom(), SignatureCheck.envelopes()));
    }

    public GossipCore core() {
        return core;
    }

    @Override
    public SignedEnvelope signedSelfInfo(long nowMs) {
        return core.signedSelfInfo(nowMs);
    }

    @Override
    public List<Effect> start(List<NodeInfo> bootstrap, long nowMs) {
        return core.start(bootstrap, nowMs);
    }

    /** The core's start only offers peers to its table and dials up to the degree, so it serves for later peers too. */
    @Override
    public List<Effect> learn(List<NodeInfo> peers, long nowMs) {
        return core.start(peers, nowMs);
    }

    @Override
    public List<Effect> onConnected(PublicId peer, SignedEnvelope peerInfo, boolean outbound, long nowMs) {
        return core.onConnected(peer, peerInfo, outbound, nowMs);
    }

    @Override
    public List<Effect> onDialFailed(PublicId peer, long nowMs) {
        return core.onDialFailed(peer, nowMs);
    }

    @Override
    public List<Effect> onDisconnected(PublicId peer, long nowMs) {
        return core.onDisconnected(peer, nowMs);
    }

    @Override
    public List<Effect> onMessage(PublicId from, Gossip message, long nowMs) {
        return core.onMessage(from, message, nowMs);
    }

    @Override
    public List<Effect> onViolation(PublicId peer, Violation violation, long nowMs) {
        return core.onViolation(peer, violation, nowMs);
    }

    @Override
    public List<Effect> onFetchProgress(PublicId from, String commit, long bytesSoFar, long nowMs) {
        return core.onFetchProgress(from, commit, bytesSoFar, nowMs);
    }

    @Override
    public List<Effect> onFetched(PublicId from, String commit, long bytes, long nowMs) {
        return core.onFetched(from, commit, bytes, nowMs);
    }

    @Override
    public List<Effect> onFetchFailed(PublicId from, String commit, FetchFailure failure, long nowMs) {
        return core.onFetchFailed(from, commit, failure, nowMs);
    }

    @Override
    public List<Effect> onLocalCommit(String commit, long nowMs) {
        return core.onLocalCommit(commit, nowMs);
    }

    @Override
    public List<Effect> announceResult(SignedEnvelope result, long nowMs) {
        return core.announceResult(result, nowMs);
    }

    @Override
    public List<Effect> onTick(long nowMs) {
        return core.onTick(nowMs);
    }

    @Override
    public boolean isBanned(PublicId peer, long nowMs) {
        return core.isBanned(peer, nowMs);
    }
}
