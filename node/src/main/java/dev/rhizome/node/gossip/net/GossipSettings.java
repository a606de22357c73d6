package dev.rhizome.node.gossip.net;

import dev.rhizome.node.peer.DialAddress;
import dev.rhizome.node.peer.PeerConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a node's gossip service runs.
 *
 * @param host          address to listen on (and to announce, unless {@code announce} is given)
 * @param port          listening port, 0 for an ephemeral one
 * @param hardwareClass announced in this node's NodeInfo
 * @param peer          wire limits; its idle timeout is also how long a fetch may stall
 * @param tick          how often a protocol that never asks for its wakeups is ticked (a baseline, a test double);
 *                      the gossip core asks for each of its own ({@code Effect.Wakeup}) and ignores this
 * @param peersFile     where known peers are remembered across restarts, or null for nowhere
 * @param announce      where peers dial this node when a NAT or a container forwards another address to the one
 *                      it listens on: named in its signed NodeInfo instead of {@code host} and the bound port;
 *                      null to announce what it listens on
 */
public record GossipSettings(String host, int port, String hardwareClass, PeerConfig peer, Duration tick, Path peersFile,
                             DialAddress announce) {
    public static GossipSettings defaults(String host, int port, String hardwareClass, Path peersFile) {
        return new GossipSettings(host, port, hardwareClass, PeerConfig.defaults(), Duration.ofMillis(500), peersFile, null);
    }

    public GossipSettings withPeer(PeerConfig value) {
        return new GossipSettings(host, port, hardwareClass, value, tick, peersFile, announce);
    }

    public GossipSettings withTick(Duration value) {
        return new GossipSettings(host, port, hardwareClass, peer, value, peersFile, announce);
    }

    public GossipSettings withAnnounce(DialAddress value) {
        return new GossipSettings(host, port, hardwareClass, peer, tick, peersFile, value);
    }
}
