package dev.rhizome.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The endpoint a running node wrote to its data directory, so that commands sharing the data
 * directory (an agent's `rhizome submit`, `rhizome seed publish`) can announce what it serves.
 */
public record NodeEndpoint(String node, String host, int port, long pid) {
    private static final Pattern FIELD = Pattern.compile("\"(node|host|port|pid)\"\\s*:\\s*\"?([^\",}]+)\"?");

    /** The endpoint of the node serving {@code dataDir}, if one is running. */
    public static Optional<NodeEndpoint> ofRunningNode(Path dataDir) throws IOException {
        Path file = new NodeLayout(dataDir).endpointFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String node = null;
        String host = null;
        int port = 0;
        long pid = 0;
        Matcher m = FIELD.matcher(Files.readString(file));
        while (m.find()) {
            String v = m.group(2).trim();
            switch (m.group(1)) {
                case "node" -> node = v;
                case "host" -> host = v;
                case "port" -> port = Integer.parseInt(v);
                default -> pid = Long.parseLong(v);
            }
        }
        if (node == null || host == null || port == 0) {
            throw new IOException(file + " is malformed");
        }
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        return alive ? Optional.of(new NodeEndpoint(node, host, port, pid)) : Optional.empty();
    }
}
