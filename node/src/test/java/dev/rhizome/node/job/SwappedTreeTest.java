package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
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
 * follow a directory the job swaps for a link: a real sandboxed job flips a directory of its checkout,
 * and one of its {@code /tmp}, with links to a directory of the host's (standing for the node's data
 * directory: a terabyte in a sparse file and 300 names) as fast as it can, while the node walks.
 * Listed through the link, the walk counted the terabyte (the job stopped for it, and the node had
 * listed the volunteer's directory with its own rights); now what it opens must be the directory it saw.
 */
class SwappedTreeTest {
    private static final long TERABYTE = 1L << 40;
    private static final int WALKS = 300;

    @TempDir
    Path dataDir;

    /**
     * Flips 100 directories of its checkout and 100 of its {@code /tmp} between a directory and a link
     * to argv[1], all at once every 20 ms, until the file {@code stop} appears: a walk that saw them as
     * directories opens some of them after they became links.
     */
    private static final String FLIPPER = """
            import os, sys, time
            places = []
            for top in ('flipped', '/tmp'):
                for i in range(100):
                    w = '%s/p%d' % (top, i)
                    os.makedirs(w + '/flip/inner')
                    open(w + '/flip/inner/own', 'w').write('x')
                    os.symlink(sys.argv[1], w + '/link')
                    places.append(w)
            open('started', 'w').close()
            end = time.time() + 120
            n = 0
            while not os.path.exists('stop') and time.time() < end:
                for w in places:
                    os.rename(w + '/flip', w + '/dir')
                    os.rename(w + '/link', w + '/flip')
                time.sleep(0.02)
                for w in places:
                    os.rename(w + '/flip', w + '/link')
                    os.rename(w + '/dir', w + '/flip')
                time.sleep(0.02)
                n += 1
            print('flips', n, flush=True)
            """;

    @Test
    void aWalkNeverListsWhatALinkSwappedInLeadsTo() throws Exception {
        Path host = Files.createDirectories(dataDir.resolve("volunteers"));
        try (RandomAccessFile big = new RandomAccessFile(host.resolve("key-and-models").toFile(), "rw")) {
            big.setLength(TERABYTE); // sparse: a terabyte by its size, nothing on disk
        }
        for (int i = 0; i < 300; i++) {
            Files.createFile(host.resolve("file-" + i));
        }
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Files.writeString(jobs.checkout.resolve("flipper.py"), FLIPPER);
            CompletableFuture<JobOutcome> job = CompletableFuture.supplyAsync(() -> {
                try {
                    return jobs.runPython("import runpy, sys\nsys.argv = ['flipper.py', '" + host
                            + "']\nrunpy.run_path('flipper.py')\n", Map.of());
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
}
