package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server tells its witness of each bundle it sent whole, and only those: a keeper's evidence. */
class UploadWitnessTest {
    @TempDir
    Path tmp;

    @Test
    void aWholeBundleSentIsWitnessedARangeOrAResumeIsNot() throws Exception {
        List<String> told = Collections.synchronizedList(new ArrayList<>());
        UploadWitness witness = (node, commit) -> told.add(PublicId.hex(node) + " " + commit);
        Identity aliceId = Identity.generate();
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("alice.git"));
             PeerServer alice = PeerServer.start(repo, aliceId, "127.0.0.1", 0, TestNode.CONFIG, null, null, witness);
             TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String seed = repo.commitFiles(null, Map.of("README.md", "seed".getBytes()), "seed", PeerTransferTest.AUTHOR);
            PeerEndpoint where = PeerEndpoint.newBuilder().setNode(aliceId.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(alice.port()).build();
            Identity carol = Identity.generate();
            try (Socket s = new Socket("127.0.0.1", alice.port())) {
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                assertThat(RawWire.openFetch(in, s.getOutputStream(), carol).hasHelloProof()).isTrue();
                for (BundleRequest.Builder part : List.of(BundleRequest.newBuilder().setCommit(seed).setLength(10),
                        BundleRequest.newBuilder().setCommit(seed).setOffset(10))) {
                    RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setBundleRequest(part).build());
                    PeerMessage m = RawWire.read(in);
                    assertThat(m.hasBundleHeader()).isTrue();
                    while (!m.hasBundleEnd()) {
                        m = RawWire.read(in);
                    }
                }
            }

            bob.fetcher.fetchFrom(where, seed, TransferProgress.NONE, new Cancellation());

            await().atMost(Duration.ofSeconds(60)).until(() -> !told.isEmpty());
            assertThat(told).as("carol's two parts are no evidence of a copy; bob's whole bundle is")
                    .containsExactly(bob.identity.publicId().toString() + " " + seed);
        }
    }
}
