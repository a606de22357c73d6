package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A transfer cut off midway resumes from the same peer at the byte it reached, and still verifies ({@link RogueHolder}). */
class ResumeTest {
    @TempDir
    Path tmp;

    @Test
    void aDroppedTransferResumesAtTheByteReachedAndImports() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            try (RogueHolder flaky = new RogueHolder(bundle, 1000, (connection, request) ->
                    connection == 0 ? RogueHolder.Answer.dropAt(bundle.length / 3) : RogueHolder.Answer.whole())) {
                FetchResult result = bob.fetcher.fetchFrom(flaky.endpoint(), commit, TransferProgress.NONE, new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(flaky.offsets).containsExactly(0L, (long) (bundle.length / 3));
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(bundle.length);
            }
        }
    }

    @Test
    void aResumeThatOffersAnotherBundleIsRefused() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            try (RogueHolder flaky = new RogueHolder(bundle, 1000, (connection, request) -> connection == 0
                    ? RogueHolder.Answer.dropAt(bundle.length / 3) : new RogueHolder.Answer(Long.MAX_VALUE, RogueHolder.Stop.DROP, true))) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(flaky.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOfSatisfying(PeerFailure.class, f -> assertThat(f.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE))
                        .hasMessageContaining("different bundle");
                assertThat(bob.repo.has(commit)).isFalse();
            }
        }
    }

    private static String bigCommit(TestNode node) throws Exception {
        byte[] noise = new byte[50_000];
        new Random(7).nextBytes(noise);
        return node.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)), "seed",
                PeerTransferTest.AUTHOR);
    }
}
