package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.prefs.KeptPause;
import dev.rhizome.node.prefs.PauseLock;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome node pause` with no node running writes the kept pause, which a node reads as it starts;
 * a node starting in that instant could read the old state and claim, and an offline change could
 * land over a running node's own. One rule now: the kept pause is changed under the data
 * directory's pause lock, which a node holds from before its read until its control socket
 * closes. A child JVM holds it here as a starting node does (taken, socket not yet bound).
 */
class OfflinePauseRaceTest {
    @TempDir
    Path dir;

    private final Duration soon = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();
    private Process holder;

    @AfterEach
    void endHolder() throws Exception {
        if (holder != null && holder.isAlive()) {
            holder.destroyForcibly().waitFor(1, TimeUnit.MINUTES);
        }
    }

    @Test
    void anOfflinePauseWaitsForTheNodeStartingOnItsDirectoryAndIsKeptOnceItLetsGo() throws Exception {
        Path data = dir.resolve("node");
        IdentityStore.loadOrCreate(data);  // a data directory a node has used
        holder = holdPauseLock(data);

        assertThat(PauseLock.tryTake(data)).as("another process holds it").isEmpty();
        // held for longer than the command waits for a node's socket: it changes nothing, and says so
        CliRun refused = CliRun.of("node", "pause", "--data-dir", data.toString(), "--json");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.out() + refused.err()).contains("node_not_answering").contains("starting or stopping");
        assertThat(KeptPause.since(data)).as("nothing written while a node holds the directory's pause").isEmpty();

        CompletableFuture<CliRun> pause = CompletableFuture.supplyAsync(() ->
                CliRun.of("node", "pause", "--data-dir", data.toString(), "--json"));
        holder.getOutputStream().close();  // the "node" stops before its socket ever answered: the lock is free
        assertThat(holder.waitFor(1, TimeUnit.MINUTES)).isTrue();
        CliRun run = pause.get(1, TimeUnit.MINUTES);
        assertThat(run.code()).as(run.err()).isZero();
        JsonObject answer = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(answer.get("paused").getAsBoolean()).isTrue();
        assertThat(answer.get("running").getAsBoolean()).isFalse();
        assertThat(KeptPause.since(data)).as("kept for the node's next start").isPresent();
    }

    @Test
    void aStartingNodeWaitsForAnOfflineChangeInProgressAndAKilledHolderFreesTheLock() throws Exception {
        Path data = dir.resolve("node");
        IdentityStore.loadOrCreate(data);
        Optional<PauseLock> offline = PauseLock.tryTake(data);  // an offline pause mid-write
        assertThat(offline).isPresent();
        holder = start(data);  // a node starting now: it waits for the offline change to end
        KeptPause.keep(data, 1234L);
        offline.get().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("the starting node took the lock once the change was whole").isEqualTo("held");
        assertThat(KeptPause.since(data)).contains(1234L);

        holder.destroyForcibly();  // kill -9: the kernel releases the lock, nobody clears it by hand
        assertThat(holder.waitFor(1, TimeUnit.MINUTES)).isTrue();
        await().atMost(soon).until(() -> {
            Optional<PauseLock> free = PauseLock.tryTake(data);
            free.ifPresent(l -> {
                try {
                    l.close();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            return free.isPresent();
        });
        assertThat(new NodeLayout(data).pauseLock()).exists();
    }

    /** A child holding the lock, once it says so. */
    private Process holdPauseLock(Path data) throws Exception {
        Process p = start(data);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("held");
        return p;
    }

    private static Process start(Path data) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                PauseLockHolder.class.getName(), data.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
