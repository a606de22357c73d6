package dev.rhizome.node;

import dev.rhizome.node.prefs.NodePreferences;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a volunteer node runs.
 *
 * @param host        address the peer server binds and announces
 * @param peerPort    peer server port, 0 for an ephemeral one
 * @param explore     also take EXPLORE units and propose experiments with the built-in explorer
 * @param direction   only work on this direction, or null for any
 * @param maxUnits    stop after this many units, 0 for no limit
 * @param preferences what the volunteer lets the node use (slots, hours, idleness, caps)
 */
public record NodeConfig(Path dataDir, String coordinatorUrl, String host, int peerPort, boolean explore,
        String direction, int maxUnits, Duration maxBackoff, NodePreferences preferences) {

    public static NodeConfig defaults(Path dataDir, String coordinatorUrl) {
        return new NodeConfig(dataDir, coordinatorUrl, "127.0.0.1", 0, false, null, 0, Duration.ofSeconds(5),
                NodePreferences.defaults());
    }

    public NodeConfig withExplore(boolean value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, value, direction, maxUnits, maxBackoff, preferences);
    }

    public NodeConfig withPeerAddress(String newHost, int newPort) {
        return new NodeConfig(dataDir, coordinatorUrl, newHost, newPort, explore, direction, maxUnits, maxBackoff,
                preferences);
    }

    public NodeConfig withDirection(String value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, value, maxUnits, maxBackoff, preferences);
    }

    public NodeConfig withMaxUnits(int value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, value, maxBackoff, preferences);
    }

    public NodeConfig withPreferences(NodePreferences value) {
        return new NodeConfig(dataDir, coordinatorUrl, host, peerPort, explore, direction, maxUnits, maxBackoff, value);
    }
}
