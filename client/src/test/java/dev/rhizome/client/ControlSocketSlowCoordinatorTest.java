package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.LoopbackProxy;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node's control socket while its coordinator answers slowly: an {@code announce} waits on
 * the coordinator for up to 10 s, and the socket answered one request at a time, so a volunteer's
 * {@code node status} and {@code node pause} waited behind it (as they did behind a client that
 * connected and said nothing). Each is answered on its own now, and a pause made while an
 * announcement is in flight is what the coordinator keeps: never the stale "claiming".
 */
class ControlSocketSlowCoordinatorTest {
    @TempDir
    Path dir;

    private final Duration soon = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();

    @Test
    void statusAndPauseAreAnsweredWhileAnAnnounceWaitsOnTheCoordinatorAndThePauseIsWhatItKeeps() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean holding = new AtomicBoolean();
        AtomicInteger held = new AtomicInteger();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                LoopbackProxy slow = new LoopbackProxy("slow-coordinator", "127.0.0.1",
                        java.net.URI.create(coordinator.url()).getPort(), (client, upstream) -> new LoopbackProxy.Directions(
                                (buf, n) -> {
                                    // the coordinator is slow to hear announcements until the test releases them
                                    if (holding.get() && release.getCount() > 0
                                            && new String(buf, 0, n, StandardCharsets.ISO_8859_1).contains("POST /v1/announce ")) {
                                        held.incrementAndGet();
                                        release.await();
                                    }
                                    return true;
                                }, (buf, n) -> true));
                NodeDaemon node = TestNetwork.node(NodeConfig.defaults(dir.resolve("node"), slow.url()))) {
            CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
            await().atMost(soon).until(() -> listed(reader), p -> p != null && !p.getPaused());
            Path socket = node.controlSocket();
            holding.set(true);
            try {
                CompletableFuture<String> announce = CompletableFuture.supplyAsync(() -> request(socket, "announce"));
                await().atMost(soon).until(() -> held.get() > 0);
                // a client that connects and sends nothing holds nobody either
                try (SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    silent.connect(UnixDomainSocketAddress.of(socket));

                    JsonObject status = JsonParser.parseString(request(socket, "status")).getAsJsonObject();
                    assertThat(status.get("paused").getAsBoolean()).isFalse();
                    JsonObject paused = JsonParser.parseString(request(socket, "pause")).getAsJsonObject();
                    assertThat(paused.get("paused").getAsBoolean()).isTrue();
                    assertThat(announce).as("the announcement is still waiting on the coordinator").isNotDone();
                    assertThat(JsonParser.parseString(request(socket, "status")).getAsJsonObject().get("paused")
                            .getAsBoolean()).isTrue();
                }
                release.countDown();
                JsonObject told = JsonParser.parseString(announce.get(soon.toMillis(), TimeUnit.MILLISECONDS))
                        .getAsJsonObject();
                assertThat(told.has("announced")).as(told.toString()).isTrue();
            } finally {
                release.countDown();
            }
            // whatever order the announcements went in, the last the coordinator keeps says paused
            await().atMost(soon).until(() -> listed(reader), p -> p != null && p.getPaused());
            JsonObject told = JsonParser.parseString(request(socket, "announce")).getAsJsonObject();
            assertThat(told.get("paused").getAsBoolean()).isTrue();
            assertThat(listed(reader).getPaused()).as("an announcement after the pause says paused").isTrue();
            assertThat(listed(reader).getNotClaiming()).isEqualTo("paused by its volunteer");
        }
    }

    private static String request(Path socket, String request) {
        try {
            return ControlClient.request(socket, request);
        } catch (Exception e) {
            throw new AssertionError(request + ": " + e, e);
        }
    }

    private static PeerEndpoint listed(CoordinatorClient reader) throws Exception {
        return reader.nodes().getPeersList().stream().findFirst().orElse(null);
    }
}
