package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.git.BundleFile;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer that announces commits whose bundles are valid, small in bytes, but long chains of tiny
 * commits (objects past this node's bound, which JGit keeps a record of each): the transfer stops
 * at the pack's header, too large here (no fault: a node of a larger heap takes them), whether it
 * came whole or in pieces, and nothing of it is kept to resume. Real sockets on loopback.
 */
class ObjectBoundTest {
    @TempDir
    Path tmp;

    @Test
    void aChainPastTheObjectBoundStopsAtItsPackHeaderWholeOrInPieces() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String tip = null;
            byte[] noise = new byte[600];
            Random random = new Random(5);
            for (int i = 0; i < 400; i++) {  // 1,200 objects, each commit's blob incompressible
                random.nextBytes(noise);
                tip = alice.repo.commitFiles(tip, Map.of("step.bin", noise.clone(), "n.txt", ("" + i).getBytes(UTF_8)),
                        "step " + i, PeerTransferTest.AUTHOR);
            }
            String commit = tip;
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            assertThat(bundle.length).isGreaterThan(BundleFile.PIECE_BYTES / 4);
            bob.fetcher.limitObjects(1_000);

            try (RogueHolder chains = new RogueHolder(bundle, 1_000, (connection, request) -> RogueHolder.Answer.whole())) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(chains.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOfSatisfying(PeerFailure.class, f -> {
                            assertThat(f.kind()).isEqualTo(PeerFailure.Kind.TOO_LARGE);
                            assertThat(f).hasMessageContaining("objects");
                        });
                assertThat(bob.fetcher.bytesReceived()).as("stopped at the first chunk").isLessThanOrEqualTo(1_000);

                List<PeerFailure> told = new CopyOnWriteArrayList<>();
                assertThatThrownBy(() -> bob.fetcher.fetchFromHolders(commit, List.of(chains.endpoint(), alice.endpoint()),
                        TransferProgress.NONE, new Cancellation(), (PeerEndpoint holder, PeerFailure f) -> told.add(f)))
                        .isInstanceOf(FetchException.class).hasMessageContaining("objects");
                assertThat(told).extracting(PeerFailure::kind).containsExactly(PeerFailure.Kind.TOO_LARGE);
                // At most the first piece travelled: not the whole chain, and nothing was kept to resume from.
                assertThat(bob.fetcher.bytesReceived()).isLessThan(1_000L + BundleFile.PIECE_BYTES + 1);
                assertThat(chains.offsets).allMatch(offset -> offset == 0);
                assertThat(bob.repo.has(commit)).isFalse();
            }
        }
    }
}
