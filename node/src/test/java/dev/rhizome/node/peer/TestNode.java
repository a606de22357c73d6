package dev.rhizome.node.peer;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** A node as the peer layer sees it: a repository, a server for it and a fetcher into it. */
final class TestNode implements AutoCloseable {
    static final PeerConfig CONFIG = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(3));

    final Identity identity = Identity.generate();
    final NodeRepository repo;
    final PeerServer server;
    final BundleFetcher fetcher;
    final Path transferLog;

    TestNode(Path dir, PeerConfig config) throws IOException, InterruptedException {
        repo = NodeRepository.open(dir.resolve("repo.git"));
        server = PeerServer.start(repo, identity, "127.0.0.1", 0, config);
        transferLog = dir.resolve("transfers.jsonl");
        fetcher = new BundleFetcher(repo, identity, config, new TransferLog(transferLog));
    }

    TestNode(Path dir) throws IOException, InterruptedException {
        this(dir, CONFIG);
    }

    PeerEndpoint endpoint() {
        return PeerEndpoint.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1").setPort(server.port()).build();
    }

    @Override
    public void close() {
        fetcher.close();
        server.close();
        repo.close();
    }
}
