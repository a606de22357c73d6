package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.LoopbackProxy;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's claim cut by its stop before the coordinator held it (a stop right after a result: the
 * slot's next claim had just left). The copy the stop sends to learn the claim's answer is then the
 * one the coordinator holds, for the claim's whole wait; the stop used to end without an answer and
 * leave the claim in the journal (a CI run of {@link LostAnswerKillTest}). A real coordinator on
 * loopback, with no work, so that every claim waits; a proxy that never delivers the first claim.
 */
class CutClaimSettleTest {
    @TempDir
    Path dir;

    @Test
    void claimCutBeforeTheCoordinatorHeldItLeavesNothingInTheJournal() throws Exception {
        Path journal = dir.resolve("claims");
        CountDownLatch firstClaimHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean held = new AtomicBoolean();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                LoopbackProxy proxy = new LoopbackProxy("first-claim-lost", "127.0.0.1",
                        URI.create(coordinator.url()).getPort(), (client, upstream) -> new LoopbackProxy.Directions(
                                (buf, n) -> {
                                    String read = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                                    if (read.contains("POST /v1/claim ") && held.compareAndSet(false, true)) {
                                        firstClaimHeld.countDown();
                                        release.await();  // never reaches the coordinator
                                        return false;
                                    }
                                    return true;
                                }, (buf, n) -> true))) {
            CoordinatorClient node = new CoordinatorClient(proxy.url(), Identity.generate());
            node.keepClaimsIn(journal, 1);
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Thread slot = new Thread(() -> {
                try {
                    node.claim(ClaimRequest.newBuilder().setNode(node.identity().publicId().toByteString())
                            .setHardwareClass("cpu:settle").addKinds(WorkUnit.Kind.EVALUATE)
                            .setTimeMs(System.currentTimeMillis()).setWaitS(20).build(), unit -> { });
                } catch (Throwable t) {
                    ended.set(t);
                }
            }, "slot");
            slot.start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> firstClaimHeld.getCount() == 0);
                assertThat(claims(journal)).as("the claim in flight, journalled").hasSize(1);
                long stopped = System.nanoTime();
                slot.interrupt();  // the node's stop
                slot.join(Duration.ofSeconds(30).toMillis());
                assertThat(slot.isAlive()).as("the claim ended after the stop").isFalse();
                assertThat(Duration.ofNanos(System.nanoTime() - stopped))
                        .as("settled within the stop's patience").isLessThanOrEqualTo(Duration.ofSeconds(10));
                assertThat(ended.get()).as("the cut claim's end").isNotNull();
                assertThat(claims(journal)).as("claims left in the journal after the stop").isEmpty();
            } finally {
                release.countDown();
                slot.interrupt();
            }
        }
    }

    private static Object[] claims(Path journal) throws IOException {
        if (!Files.isDirectory(journal)) {
            return new Object[0];
        }
        try (Stream<Path> files = Files.list(journal)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".claim")).toArray();
        }
    }
}
