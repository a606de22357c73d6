package dev.rhizome.node;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.rhizome.protocol.files.DurableFiles;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The endpoint a running node writes to its data directory, so that commands sharing the data
 * directory (an agent's `rhizome submit`, `rhizome seed publish`) can announce what it serves.
 */
public record NodeEndpoint(String node, String host, int port, long pid) {
    private static final Gson GSON = new Gson();

    /** Written by the running node; replaced atomically so a reader never sees half of it. */
    void write(Path dataDir) throws IOException {
        Path file = new NodeLayout(dataDir).endpointFile();
        DurableFiles.replace(file, (GSON.toJson(this) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The endpoint of the node serving {@code dataDir}, if one is running. */
    public static Optional<NodeEndpoint> ofRunningNode(Path dataDir) throws IOException {
        Path file = new NodeLayout(dataDir).endpointFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        NodeEndpoint endpoint;
        try {
            endpoint = GSON.fromJson(Files.readString(file), NodeEndpoint.class);
        } catch (JsonParseException e) {
            throw new IOException(file + " is malformed: " + e.getMessage(), e);
        }
        if (endpoint == null || endpoint.node() == null || endpoint.host() == null || endpoint.port() == 0) {
            throw new IOException(file + " is malformed");
        }
        boolean alive = ProcessHandle.of(endpoint.pid()).map(ProcessHandle::isAlive).orElse(false);
        return alive ? Optional.of(endpoint) : Optional.empty();
    }
}
