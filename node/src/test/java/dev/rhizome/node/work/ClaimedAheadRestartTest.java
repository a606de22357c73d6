package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slot restarted on the units a killed node left in its buffer: the unit of its running job and
 * the one it had claimed ahead (its ahead file). Both run, the job's first, before anything new is
 * claimed; the unit claimed ahead used to be held in memory only, and a kill left it leased until
 * its deadline. (The kill itself, of a real node: {@code LostAnswerKillTest}.)
 */
class ClaimedAheadRestartTest {
    @TempDir
    Path dir;
    private NodeRepository repo;
    private ExecutorService prefetcher;
    private UnitBuffer buffer;

    @BeforeEach
    void setUp() throws IOException {
        repo = NodeRepository.open(dir.resolve("repo"));
        prefetcher = Executors.newCachedThreadPool();
        buffer = new UnitBuffer(dir.resolve("buffer"));
    }

    @AfterEach
    void tearDown() {
        prefetcher.shutdownNow();
        repo.close();
    }

    @Test
    void theJobsUnitRunsThenTheOneClaimedAheadThenAFreshClaim() throws Exception {
        buffer.put("cpu0", unit("running"));
        buffer.putAhead("cpu0", unit("ahead"));
        Recording work = run(w -> w.claims.size() > 1);
        assertThat(work.ran).as("units run after the restart, in order").containsExactly("running", "ahead", "fresh");
        assertThat(buffer.ahead("cpu0")).as("ahead file after its unit ran").isEmpty();
    }

    @Test
    void aUnitClaimedAheadAloneIsMovedIntoTheBufferAtStartAndRuns() throws Exception {
        buffer.putAhead("cpu0", unit("ahead"));
        new SlotWorker(slot(), evaluator(), new Recording(unit("fresh")), true, false, buffer, new RuntimeEstimates(),
                prefetcher, dir.resolve("logs"), Clock.systemUTC());
        assertThat(buffer.get("cpu0").map(WorkUnit::getId)).as("the slot's unit at start").contains("ahead");
        assertThat(buffer.ahead("cpu0")).as("ahead file at start").isEmpty();
        Recording work = run(w -> w.claims.size() > 1);
        assertThat(work.ran).containsExactly("ahead", "fresh");
    }

    @Test
    void anAheadFileHoldingTheResumedUnitItselfIsDropped() throws Exception {
        // killed as the unit moved: written whole into the buffer, its ahead file not yet removed
        buffer.put("cpu0", unit("moved"));
        buffer.putAhead("cpu0", unit("moved"));
        Recording work = run(w -> w.claims.size() > 1);
        assertThat(work.ran).as("run once").containsExactly("moved", "fresh");
        assertThat(buffer.ahead("cpu0")).isEmpty();
    }

    private Recording run(java.util.function.Predicate<Recording> until) throws Exception {
        Recording work = new Recording(unit("fresh"));
        SlotWorker worker = new SlotWorker(slot(), evaluator(), work, true, false, buffer, new RuntimeEstimates(),
                prefetcher, dir.resolve("logs"), Clock.systemUTC());
        Thread thread = new Thread(worker, "slot");
        thread.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> until.test(work));
        } finally {
            work.stop.set(true);
            thread.interrupt();
            thread.join(10_000);
        }
        return work;
    }

    private static Slot slot() {
        return new Slot("cpu0", "cpu-test", Optional.empty());
    }

    private Evaluator evaluator() throws IOException {
        return new Evaluator(Identity.generate(), repo, null, new JobRunner(new PlainLauncher()), new PlainLauncher(),
                "cpu-test", dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
    }

    /** An exploration (it runs no job), leased for an hour. */
    private static WorkUnit unit(String id) {
        return WorkUnit.newBuilder().setId(id).setKind(WorkUnit.Kind.EXPLORE).setSeed("s").setDirection("d")
                .setCommit("ab".repeat(20)).setSeedCommit("ab".repeat(20))
                .setLeaseDeadlineMs(System.currentTimeMillis() + 3_600_000).build();
    }

    /** Hands out one fresh unit; records the units run, in order. */
    private static final class Recording extends OneUnitWork {
        final List<String> ran = new CopyOnWriteArrayList<>();

        Recording(WorkUnit fresh) {
            super(fresh);
        }

        @Override
        public void explore(WorkUnit u) throws Exception {
            ran.add(u.getId());
            super.explore(u);
        }
    }
}
