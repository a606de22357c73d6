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
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slot whose owner paused it while it held evaluations it had not started (its buffered unit, the
 * one it claimed ahead) gives them back: held, each kept its unit from every other node until the
 * lease ran out, and then counted as an expired lease against this node.
 */
class GiveBackWhilePausedTest {
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
    void evaluationsHeldUnstartedAreGivenBackAndForgotten() throws Exception {
        buffer.put("cpu0", unit("held", WorkUnit.Kind.EVALUATE));
        buffer.putAhead("cpu0", unit("ahead", WorkUnit.Kind.EVALUATE));
        Paused work = new Paused();
        Thread thread = start(work);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> work.givenBack.size() == 2);
            assertThat(work.givenBack).containsExactly("held", "ahead");
            assertThat(work.reasons).allSatisfy(r -> assertThat(r).contains("paused by its owner"));
            assertThat(buffer.get("cpu0")).as("forgotten once given back: a restart does not resume it").isEmpty();
            assertThat(buffer.ahead("cpu0")).isEmpty();
            assertThat(work.claims).as("a paused slot claims nothing").isEmpty();

            work.open.set(true);  // resumed: the slot claims afresh
            await().atMost(Duration.ofSeconds(30)).until(() -> !work.claims.isEmpty());
            assertThat(work.givenBack).hasSize(2);
        } finally {
            stop(work, thread);
        }
    }

    @Test
    void anExplorationHeldIsKeptForWhenTheSlotResumes() throws Exception {
        buffer.put("cpu0", unit("exploring", WorkUnit.Kind.EXPLORE));
        Paused work = new Paused();
        Thread thread = start(work);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> work.gateLooks > 2);
            assertThat(work.givenBack).isEmpty();
            assertThat(buffer.get("cpu0").map(WorkUnit::getId)).contains("exploring");

            work.open.set(true);
            await().atMost(Duration.ofSeconds(30)).until(() -> !work.ran.isEmpty());
            assertThat(work.ran.get(0)).as("the unit held through the pause runs first").isEqualTo("exploring");
        } finally {
            stop(work, thread);
        }
    }

    private Thread start(Paused work) throws IOException {
        SlotWorker worker = new SlotWorker(new Slot("cpu0", "cpu-test", Optional.empty()), evaluator(), work, true,
                false, buffer, new RuntimeEstimates(), prefetcher, dir.resolve("logs"), Clock.systemUTC());
        Thread thread = new Thread(worker, "slot");
        thread.start();
        return thread;
    }

    private static void stop(Paused work, Thread thread) throws InterruptedException {
        work.stop.set(true);
        thread.interrupt();
        thread.join(10_000);
    }

    private Evaluator evaluator() throws IOException {
        return new Evaluator(Identity.generate(), repo, null, new JobRunner(new PlainLauncher()), new PlainLauncher(),
                "cpu-test", dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
    }

    private static WorkUnit unit(String id, WorkUnit.Kind kind) {
        return WorkUnit.newBuilder().setId(id).setKind(kind).setSeed("s").setDirection("d")
                .setCommit("ab".repeat(20)).setSeedCommit("ab".repeat(20))
                .setLeaseDeadlineMs(System.currentTimeMillis() + 3_600_000).build();
    }

    /** Paused until {@link #open} is set; records the units given back. */
    private static final class Paused extends OneUnitWork {
        final AtomicBoolean open = new AtomicBoolean();
        final List<String> givenBack = new CopyOnWriteArrayList<>();
        final List<String> reasons = new CopyOnWriteArrayList<>();
        final List<String> ran = new CopyOnWriteArrayList<>();
        volatile int gateLooks;

        Paused() {
            super(unit("fresh", WorkUnit.Kind.EXPLORE));
        }

        @Override
        public Optional<String> gateClosed() {
            gateLooks++;
            return open.get() ? Optional.empty() : Optional.of("paused by its owner");
        }

        @Override
        public void explore(WorkUnit u) throws Exception {
            ran.add(u.getId());
            super.explore(u);
        }

        @Override
        public void giveBack(Slot slot, WorkUnit unit, String reason) {
            givenBack.add(unit.getId());
            reasons.add(reason);
        }
    }
}
