package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.control.ControlServer;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome node pause` (and status, resume) against a node whose control socket is saturated (every
 * place to answer held by a slow announce): the node answers busy, and the command used to fail at
 * once with the node's words. It asks again, backing off, and gets through once a place frees; a
 * socket that stays busy past the bound ends the command with node_busy, exit 1.
 */
class NodeControlBusyTest {
    @TempDir
    Path dir;

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicBoolean paused = new AtomicBoolean();

    @Test
    void aBusyNodeIsAskedAgainUntilItAnswersAndOneBusyPastTheBoundIsNodeBusy() throws Exception {
        Path data = dir.resolve("node");
        IdentityStore.loadOrCreate(data);
        ExecutorService clients = Executors.newFixedThreadPool(ControlServer.AT_ONCE);
        try (ControlServer server = ControlServer.start(new NodeLayout(data).controlSocket(), slowAnnounce())) {
            List<CompletableFuture<String>> announces = new ArrayList<>();
            for (int i = 0; i < ControlServer.AT_ONCE; i++) {
                announces.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return ControlClient.request(server.socket(), "announce", Duration.ofMinutes(2));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }, clients));
            }
            await().atMost(Duration.ofMinutes(1)).until(() -> waiting.get() == ControlServer.AT_ONCE);

            // busy for longer than the command asks: it says so, by name and exit code, and nothing changed
            CliRun busy = CliRun.of("node", "status", "--json", "--data-dir", data.toString());
            assertThat(busy.code()).as(busy.out() + busy.err()).isEqualTo(ExitCodes.FAILED);
            JsonObject error = JsonParser.parseString(busy.out()).getAsJsonObject();
            assertThat(error.get("error").getAsString()).isEqualTo("node_busy");
            assertThat(error.get("message").getAsString()).contains("refused 'status'").contains(ControlServer.BUSY);
            assertThat(error.get("hint").getAsString()).isNotEmpty();
            assertThat(server.busyRefusals()).as("asked again, not once").isGreaterThan(1);

            // a pause sent while it is busy goes through once a place frees
            long refusedBefore = server.busyRefusals();
            CompletableFuture<CliRun> pause = CompletableFuture.supplyAsync(() ->
                    CliRun.of("node", "pause", "--json", "--data-dir", data.toString()));
            await().atMost(Duration.ofMinutes(1)).until(() -> server.busyRefusals() > refusedBefore);
            assertThat(pause).as("asking again, not failed").isNotDone();
            assertThat(paused).isFalse();
            release.countDown();
            CliRun run = pause.get(2, TimeUnit.MINUTES);
            assertThat(run.code()).as(run.out() + run.err()).isZero();
            JsonObject answer = JsonParser.parseString(run.out()).getAsJsonObject();
            assertThat(answer.get("paused").getAsBoolean()).isTrue();
            assertThat(answer.get("running").getAsBoolean()).isTrue();
            assertThat(paused).as("the node took it").isTrue();
            for (CompletableFuture<String> a : announces) {
                assertThat(a.get(1, TimeUnit.MINUTES)).contains("announced");
            }
        } finally {
            release.countDown();
            clients.shutdown();
        }
    }

    /** A node whose announce waits for the test's release (a slow coordinator), counting those waiting. */
    private ControlServer.Handler slowAnnounce() {
        return new ControlServer.Handler() {
            @Override
            public Object status() {
                return Map.of("paused", paused.get());
            }

            @Override
            public String node() {
                return "ab12";
            }

            @Override
            public Optional<String> pause() {
                paused.set(true);
                return Optional.empty();
            }

            @Override
            public Optional<String> resume() {
                paused.set(false);
                return Optional.empty();
            }

            @Override
            public Object announce() {
                waiting.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Map.of("announced", true);
            }
        };
    }
}
