package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * A holder that serves a valid bundle of the commit asked for, thin against a prerequisite nobody
 * asked it to build on (a commit this node never held nor listed): a wrong bundle, its holder's
 * fault (an honest holder builds only on the {@code have} list), whole or in pieces; an honest
 * holder asked with it is never blamed, and then delivers. Real sockets on loopback.
 */
class UnheldPrerequisiteTest {
    @TempDir
    Path tmp;

    @Test
    void aBundleBuiltOnACommitNobodyHasIsTheHoldersFaultAndAnHonestHolderThenDelivers() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            byte[] noise = new byte[200_000];
            new Random(9).nextBytes(noise);
            String base = alice.repo.commitFiles(null, Map.of("weights.bin", noise), "base", PeerTransferTest.AUTHOR);
            String commit = alice.repo.commitFiles(base, Map.of("train.py", "lr = 0.2\n".getBytes(UTF_8)), "lr",
                    PeerTransferTest.AUTHOR);
            byte[] thin = Files.readAllBytes(alice.repo.bundle(commit, List.of(base)).path());

            try (RogueHolder rogue = RogueHolder.always(thin, RogueHolder.Answer.whole())) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOfSatisfying(PeerFailure.class, f -> {
                            assertThat(f.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE);
                            assertThat(f.blameless()).isFalse();
                        })
                        .hasMessageContaining("prerequisite");

                // In pieces, the rogue first: its bundle is the one named, so the honest holder declines
                // its ranges (it has another bundle of the commit) and only the rogue is blamed.
                List<PeerEndpoint> blamed = new CopyOnWriteArrayList<>();
                assertThatThrownBy(() -> bob.fetcher.fetchFromHolders(commit, List.of(rogue.endpoint(), alice.endpoint()),
                        TransferProgress.NONE, new Cancellation(), (holder, failure) -> blamed.add(holder)))
                        .isInstanceOf(FetchException.class).hasMessageContaining("prerequisite");
                assertThat(blamed).containsExactly(rogue.endpoint());

                FetchResult result = bob.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), rogue.endpoint()),
                        TransferProgress.NONE, new Cancellation(), (holder, failure) -> blamed.add(holder));
                assertThat(result.commit()).isEqualTo(commit);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(blamed).containsExactly(rogue.endpoint());
            }
        }
    }
}
