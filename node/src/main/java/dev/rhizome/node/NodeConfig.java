package dev.rhizome.node;

import dev.rhizome.node.peer.DialAddress;
import dev.rhizome.node.prefs.NodePreferences;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a volunteer node runs.
 *
 * @param host        address the peer server binds (and announces, unless {@code announce} is given)
 * @param peerPort    peer server port, 0 for an ephemeral one
 * @param explore     also take EXPLORE units and propose experiments with the built-in explorer
 * @param direction   only work on this direction, or null for any
 * @param maxUnits    stop after this many units, 0 for no limit
 * @param preferences what the volunteer lets the node use (slots, hours, idleness, caps)
 * @param metricsPort loopback port for Prometheus {@code GET /metrics}: -1 for none, 0 for a free one
 * @param coordinatorSetBy what set {@code coordinatorUrl} ({@code --coordinator}, a preferences file's key, a
 *                    variable), named when the coordinator cannot be reached
 * @param directionUnchecked whether {@code direction} is still to be checked: the node's first claim that
 *                    reaches the coordinator stops the node when the coordinator does not know it (a command
 *                    line's check at start found the coordinator down); false where the caller checked it, or
 *                    means a direction with no work (a node that only serves, in tests and benchmarks)
 * @param announce    where peers dial the node when that is not {@code host} and the bound port (a NAT's or a
 *                    container's forwarded address): announced, never bound; null to announce what is bound
 */
public record NodeConfig(Path dataDir, String coordinatorUrl, String host, int peerPort, boolean explore,
        String direction, int maxUnits, Duration maxBackoff, NodePreferences preferences,
        int metricsPort, String coordinatorSetBy, boolean directionUnchecked, DialAddress announce) {

    public static NodeConfig defaults(Path dataDir, String coordinatorUrl) {
        return new NodeConfig(dataDir, coordinatorUrl, "127.0.0.1", 0, false, null, 0, Duration.ofSeconds(5),
                NodePreferences.defaults(), -1, "--coordinator", false, null);
    }

    public NodeConfig withExplore(boolean value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, value, direction, maxUnits, maxBackoff, preferences, metricsPort, coordinatorSetBy, directionUnchecked, announce);
    }

    public NodeConfig withPeerAddress(String newHost, int newPort) {
        return new NodeConfig(dataDir, coordinatorUrl, newHost, newPort, explore, direction, maxUnits, maxBackoff,
                preferences, metricsPort, coordinatorSetBy, directionUnchecked, announce);
    }

    public NodeConfig withDirection(String value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, value, maxUnits, maxBackoff, preferences, metricsPort, coordinatorSetBy, directionUnchecked, announce);
    }

    public NodeConfig withMaxUnits(int value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, value, maxBackoff, preferences, metricsPort, coordinatorSetBy, directionUnchecked, announce);
    }

    public NodeConfig withPreferences(NodePreferences value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, maxUnits, maxBackoff, value, metricsPort, coordinatorSetBy, directionUnchecked, announce);
    }

    public NodeConfig withCoordinatorSetBy(String value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, maxUnits, maxBackoff, preferences,
                metricsPort, value, directionUnchecked, announce);
    }

    /** This direction, to be checked by the node's first claim that reaches the coordinator. */
    public NodeConfig withDirectionToCheck(String value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, value, maxUnits, maxBackoff, preferences,
                metricsPort, coordinatorSetBy, true, announce);
    }

    /** Announces {@code value} to the coordinator and peers instead of the bound address; null for the bound one. */
    public NodeConfig withAnnounce(DialAddress value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, maxUnits, maxBackoff,
                preferences, metricsPort, coordinatorSetBy, directionUnchecked, value);
    }

    /** The host peers dial: the announced one, or the bound one. */
    public String announcedHost() {
        return announce != null ? announce.host() : host;
    }

    public NodeConfig withMetricsPort(int value) {
        if (value < -1 || value > 65535) {
            throw new IllegalArgumentException("metrics port must be -1 (none), 0 (any free one) or 1..65535, got " + value);
        }
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, maxUnits, maxBackoff,
                preferences, value, coordinatorSetBy, directionUnchecked, announce);
    }
}
