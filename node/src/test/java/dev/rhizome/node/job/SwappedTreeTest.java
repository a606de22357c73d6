package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's walks of a live job's trees (its work directory's budget, its {@code /tmp}'s count) never
 * follow a directory the job swaps for a link: a real sandboxed job flips 100 directories of its checkout,
 * and 100 of its {@code /tmp}, with links to a directory of the host's (standing for the node's data
 * directory: a terabyte in a sparse file and 300 names) every 20 ms, while the node walks
 * ({@link SwappedTreeCheck}).
 * Listed through the link, the walk counted the terabyte (the job stopped for it, and the node had
 * listed the volunteer's directory with its own rights); now what it opens must be the directory it saw.
 */
class SwappedTreeTest {
    private static final long TERABYTE = SwappedTreeCheck.TERABYTE;
    private static final int WALKS = SwappedTreeCheck.WALKS;

    @TempDir
    Path dataDir;

    @Test
    void aWalkNeverListsWhatALinkSwappedInLeadsTo() throws Exception {
        Path host = SwappedTreeCheck.volunteersFiles(dataDir.resolve("volunteers"));
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Files.writeString(jobs.checkout.resolve("flipper.py"), SwappedTreeCheck.FLIPPER);
            CompletableFuture<JobOutcome> job = CompletableFuture.supplyAsync(() -> {
                try {
                    return jobs.runPython("import runpy, sys\nsys.argv = ['flipper.py', '" + host
                            + "', '120', 'and its /tmp']\nrunpy.run_path('flipper.py')\n", Map.of());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Path started = jobs.checkout.resolve("started");
            for (int i = 0; i < 6000 && !Files.exists(started) && !job.isDone(); i++) {
                Thread.sleep(20);
            }
            assertThat(started).as("the job started flipping").exists();
            // the newest of its processes: inside the sandbox (bubblewrap, the first, still has the host's root)
            long root = SandboxedJobs.processesTagged(jobs.tag).stream().mapToLong(Long::longValue).max().orElseThrow();
            MemoryFiles memory = new MemoryFiles(Path.of("/proc"), 700);
            long mostBytes = 0;
            int walked = 0;
            for (; walked < WALKS && !job.isDone(); walked++) {
                WorkDirBudget.Usage usage = WorkDirBudget.usage(jobs.checkout, Long.MAX_VALUE, Long.MAX_VALUE);
                mostBytes = Math.max(mostBytes, usage.bytes());
                assertThat(usage.unmeasured()).isEmpty();
                Optional<String> inTmp = memory.count(Path.of("/proc", Long.toString(root), "root"));
                assertThat(inTmp).as("the job's /tmp holds 500 entries of its own, under 700").isEmpty();
            }
            Files.createFile(jobs.checkout.resolve("stop"));
            JobOutcome outcome = job.get(5, TimeUnit.MINUTES);
            String log = jobs.log();
            assertThat(walked).as(log).isGreaterThan(20);
            assertThat(mostBytes).as("no walk counted what the link leads to").isLessThan(TERABYTE);
            // the runner's own budget walks (once a second) did not stop it either
            assertThat(log).contains("flips").doesNotContain("job stopped");
            assertThat(outcome.metric()).hasValue(1.0);
        }
        assertThat(List.of(Files.list(host).count())).containsExactly(301L);
    }

    /** The same walk where jobs run as subordinate uids: done by the namespace's helper, with the node user's rights. */
    @Test
    void aNodeOfAnOrdinaryUserWithSubordinateIdsWalksNoLinkEither() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            String out = user.runJava(SwappedTreeCheck.class, Map.of(), 10, user.name());
            assertThat(out).as(out).contains("MODE subordinate=true", "OUTCOME OK OptionalDouble[1.0]", "HOST_FILES 301\n")
                    .doesNotContain("UNMEASURED", "job stopped");
            long walks = Long.parseLong(out.lines().filter(l -> l.startsWith("WALKS ")).findFirst().orElseThrow().substring(6));
            long most = Long.parseLong(out.lines().filter(l -> l.startsWith("MOST_BYTES ")).findFirst().orElseThrow().substring(11));
            assertThat(walks).as(out).isGreaterThan(20);
            assertThat(most).as("no walk counted what the link leads to\n" + out).isLessThan(TERABYTE);
        }
    }
}
