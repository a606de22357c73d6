package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents' commands of one key share a claims directory: each takes over only the claims of dead
 * processes (told by real processes: one that ended, one still running, and a running pid whose start
 * time is not the writer's, as when a pid is used again).
 */
class SharedClaimJournalTest {
    @TempDir
    Path dir;
    private Process running;

    @AfterEach
    void stop() throws InterruptedException {
        if (running != null) {
            running.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static SignedEnvelope claim(String hypothesis) {
        ClaimRequest request = ClaimRequest.newBuilder().setNode(ByteString.copyFromUtf8("me")).setHardwareClass("any")
                .addKinds(WorkUnit.Kind.EXPLORE).setHypothesis(hypothesis).setTimeMs(System.currentTimeMillis()).build();
        return SignedEnvelope.newBuilder().setPayload(request.toByteString()).build();
    }

    /** The file a process of this stamp wrote for {@code signed}. */
    private Path leftBy(ProcessStamp writer, SignedEnvelope signed) throws IOException {
        Files.createDirectories(dir);
        return Files.write(dir.resolve(writer.name() + "-" + Envelopes.id(signed) + ".claim"), signed.toByteArray());
    }

    private static ProcessStamp stampOf(Process p) {
        return new ProcessStamp(p.pid(), p.info().startInstant().orElseThrow().toEpochMilli());
    }

    private List<String> files() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void onlyTheClaimsOfDeadProcessesAreTakenOverEachByOneTaker() throws Exception {
        // runs until its input closes, so its start time is read while it still runs (`true` could be gone)
        Process ended = new ProcessBuilder("cat").start();
        ProcessStamp endedStamp = stampOf(ended);
        ended.getOutputStream().close();
        assertThat(ended.waitFor(30, TimeUnit.SECONDS)).isTrue();
        running = new ProcessBuilder("sleep", "600").start();
        ProcessStamp alive = stampOf(running);
        ProcessStamp pidUsedAgain = new ProcessStamp(alive.pid(), alive.start() - 60_000);

        SignedEnvelope ofTheDead = claim("dead");
        SignedEnvelope ofTheLiving = claim("living");
        SignedEnvelope ofAnEarlierOwnerOfThePid = claim("reused pid");
        leftBy(endedStamp, ofTheDead);
        Path living = leftBy(alive, ofTheLiving);
        leftBy(pidUsedAgain, ofAnEarlierOwnerOfThePid);

        ClaimJournal mine = ClaimJournal.shared(dir);
        List<SignedEnvelope> taken = mine.takeLeftovers(16).stream().map(ClaimJournal.Unanswered::signed).toList();
        assertThat(taken).containsExactlyInAnyOrder(ofTheDead, ofAnEarlierOwnerOfThePid);
        assertThat(living).as("a living process's claim is left to it").exists();
        String me = ProcessStamp.current().name() + "-";
        assertThat(files()).as("taken over: under this process's name until answered")
                .containsExactlyInAnyOrder(living.getFileName().toString(), me + Envelopes.id(ofTheDead) + ".claim",
                        me + Envelopes.id(ofAnEarlierOwnerOfThePid) + ".claim");

        assertThat(ClaimJournal.shared(dir).takeLeftovers(16)).as("another journal of this living process takes none")
                .isEmpty();

        mine.answered(ofTheDead);
        mine.answered(ofAnEarlierOwnerOfThePid);
        assertThat(files()).containsExactly(living.getFileName().toString());
    }

    /** Killed and not reaped (its parent, here a `sleep`, never waits for it): dead, its claim taken over. */
    @Test
    void aKilledProcessItsParentHasNotReapedIsDead() throws Exception {
        running = new ProcessBuilder("sh", "-c", "sleep 600 & echo $!; exec sleep 600").start();
        long pid = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(running.getInputStream()))
                .readLine().strip());
        ProcessHandle orphan = ProcessHandle.of(pid).orElseThrow();
        ProcessStamp stamp = new ProcessStamp(pid, orphan.info().startInstant().orElseThrow().toEpochMilli());
        assertThat(stamp.alive()).isTrue();
        // the shell must have become the `sleep` (exec) first: a shell still running reaps the killed
        // child itself, and its pid is gone (a fresh clone's run saw /proc/PID/stat missing)
        Path parentComm = Path.of("/proc", Long.toString(running.pid()), "comm");
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> Files.readString(parentComm).strip().equals("sleep"));
        orphan.destroyForcibly();
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> Files.readString(Path.of("/proc", Long.toString(pid),
                "stat")).matches("^\\d+ \\(.*\\) Z .*\\s*"));
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("its pid still answers").contains(true);
        assertThat(stamp.alive()).isFalse();

        SignedEnvelope left = claim("zombie");
        leftBy(stamp, left);
        assertThat(ClaimJournal.shared(dir).takeLeftovers(16)).extracting(ClaimJournal.Unanswered::signed)
                .containsExactly(left);
    }

    @Test
    void aClaimIsKeptUnderItsProcessesNameUntilAnswered() throws Exception {
        ClaimJournal mine = ClaimJournal.shared(dir);
        SignedEnvelope signed = claim("h");
        mine.write(signed, System.currentTimeMillis());
        assertThat(files()).containsExactly(ProcessStamp.current().name() + "-" + Envelopes.id(signed) + ".claim");
        mine.answered(signed);
        assertThat(files()).isEmpty();
    }
}
