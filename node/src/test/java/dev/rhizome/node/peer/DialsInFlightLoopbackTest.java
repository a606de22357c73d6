package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.SilentAddress;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One fetch dial in flight an address, over real loopback sockets and a real Netty fetcher: three
 * fetches of different commits asked of an address that takes the connection and never says hello
 * (a silent address a rogue's hints name under several keys) dial it once; the two asked while that
 * dial's turn runs fail with it, undialled, as unreachable (a rest for the core, no offence). Before
 * round 35 each dialled, each a descriptor and a handshake turn. Fetches of an honest holder's
 * address at once all go on once its key is proven. The turn is 20 s here (a 10 s connect timeout)
 * so the later fetches are asked well within it at load.
 */
class DialsInFlightLoopbackTest {
    private static final PeerConfig LONG_TURN = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(10),
            Duration.ofSeconds(30));

    @TempDir
    Path tmp;

    @Test
    void fetchesAskedOfASilentAddressMeanwhileFailWithItsOneDial() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestNode bob = new TestNode(tmp.resolve("bob"), LONG_TURN); SilentAddress silent = new SilentAddress()) {
            List<PeerEndpoint> keys = List.of(silent.hint(), silent.hint(), silent.hint());
            CompletableFuture<Throwable> first = attempt(pool, bob, keys.get(0), "a1".repeat(20));
            await().atMost(Duration.ofSeconds(60)).until(() -> silent.accepted() == 1);
            CompletableFuture<Throwable> second = attempt(pool, bob, keys.get(1), "b2".repeat(20));
            CompletableFuture<Throwable> third = attempt(pool, bob, keys.get(2), "c3".repeat(20));

            await().atMost(Duration.ofSeconds(120)).until(() -> first.isDone() && second.isDone() && third.isDone());
            assertThat(unreachable(first.get())).contains("proved no key");
            assertThat(unreachable(second.get())).startsWith("not dialled: the dial to this address just before it proved no key");
            assertThat(unreachable(third.get())).startsWith("not dialled");
            assertThat(silent.accepted()).as("connections the silent address took").isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fetchesOfAnHonestHoldersAddressAtOnceAllGoOnOnceItsKeyIsProven() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestNode alice = new TestNode(tmp.resolve("alice"), LONG_TURN);
             TestNode bob = new TestNode(tmp.resolve("bob"), LONG_TURN)) {
            List<CompletableFuture<FetchResult>> fetched = new java.util.ArrayList<>();
            String parent = null;
            for (int i = 0; i < 4; i++) {
                parent = alice.repo.commitFiles(parent, Map.of("train.py", ("lr = 0." + i + "\n").getBytes(UTF_8)), "step " + i,
                        PeerTransferTest.AUTHOR);
                String commit = parent;
                fetched.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
                    } catch (PeerFailure | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> fetched.stream().allMatch(CompletableFuture::isDone));
            for (CompletableFuture<FetchResult> f : fetched) {
                assertThat(f).isCompletedWithValueMatching(r -> bob.repo.has(r.commit()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static CompletableFuture<Throwable> attempt(ExecutorService pool, TestNode bob, PeerEndpoint at, String commit) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                bob.fetcher.fetchFrom(at, commit, TransferProgress.NONE, new Cancellation());
                return null;
            } catch (PeerFailure | InterruptedException e) {
                return e;
            }
        }, pool);
    }

    private static String unreachable(Throwable failure) {
        assertThat(failure).isInstanceOf(PeerFailure.class);
        assertThat(((PeerFailure) failure).declined()).isEqualTo(PeerFailure.Declined.UNREACHABLE);
        return failure.getMessage();
    }
}
