package dev.rhizome.node;

import java.nio.file.Path;

/** Where a node keeps things in its data directory; the CLI and the demo read the same paths. */
public record NodeLayout(Path dataDir) {
    public Path repository() {
        return dataDir.resolve("repo.git");
    }

    public Path work() {
        return dataDir.resolve("work");
    }

    public Path logs() {
        return dataDir.resolve("logs");
    }

    public Path outbox() {
        return dataDir.resolve("outbox");
    }

    /** Append-only record of every bundle fetched from a peer. */
    public Path transfers() {
        return dataDir.resolve("transfers.jsonl");
    }

    /** Gossip peers this node has had links with, so it can rejoin while the coordinator is down. */
    public Path peers() {
        return dataDir.resolve("peers.bin");
    }

    /** Written while a node runs: its id and peer endpoint, for `rhizome submit` on the same data dir. */
    public Path endpointFile() {
        return dataDir.resolve("node.json");
    }
}
