package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While one job runs, the node holds its pipes (the log's pumps) and the job holds its files: a second job the
 * same launcher starts meanwhile (a node of two slots) inherits none of them. Each job lists, from its own
 * {@code /proc}, every descriptor of every process it sees (bubblewrap's init included); no pipe or socket of
 * the first is among the second's, and no file of the first's checkout.
 */
class NoDescriptorCrossesJobsTest {
    /** Lists every descriptor its /proc shows into {@code name}, as "pid fd target" lines. */
    private static final String LIST = """
            def listed(name):
                out = []
                for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
                    try:
                        fds = os.listdir('/proc/%s/fd' % pid)
                    except OSError:
                        continue
                    for fd in fds:
                        try:
                            out.append('%s %s %s' % (pid, fd, os.readlink('/proc/%s/fd/%s' % (pid, fd))))
                        except OSError:
                            pass
                with open(name + '.tmp', 'w') as f:
                    f.write('\\n'.join(out) + '\\n')
                os.rename(name + '.tmp', name)
            """;
    /** The first job: holds a pipe and a file of its checkout, lists, and waits for the test's word (2 minutes at most). */
    private static final String FIRST = "import os, time\n" + LIST + """
            r, w = os.pipe()
            held = os.open('held-by-first', os.O_CREAT | os.O_RDWR, 0o600)
            listed('first.txt')
            for _ in range(1200):
                if os.path.exists('go'):
                    break
                time.sleep(0.1)
            print('FIRST DONE', flush=True)
            """;
    private static final String SECOND = "import os\n" + LIST + "listed('second.txt')\nprint('SECOND DONE', flush=True)\n";

    @TempDir
    Path tmp;

    @Test
    void aJobStartedWhileAnotherRunsInheritsNoneOfItsDescriptors() throws Exception {
        try (SandboxedJobs first = SandboxedJobs.open(tmp.resolve("first"));
                SandboxedJobs second = first.nextJob(tmp.resolve("second"))) {
            CompletableFuture<String> firstRun = CompletableFuture.supplyAsync(() -> {
                try {
                    return first.runOk(FIRST);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Path firstList = first.checkout.resolve("first.txt");
            try {
                Awaitility.await().atMost(Duration.ofSeconds(240)).until(() -> Files.exists(firstList) || firstRun.isDone());
                assertThat(firstList).as("the first job listed its descriptors").exists();
                // Started by the first's launcher, in the same node's job directories, as its second slot's job is.
                String log = second.runOk(SECOND);
                assertThat(log).contains("SECOND DONE");
            } finally {
                Files.writeString(first.checkout.resolve("go"), "");
            }
            assertThat(firstRun.get(300, TimeUnit.SECONDS)).contains("FIRST DONE");

            List<String> firsts = Files.readAllLines(firstList);
            List<String> seconds = Files.readAllLines(second.checkout.resolve("second.txt"));
            assertThat(firsts).as("the first job's pipe and file").anyMatch(l -> l.contains("pipe:["))
                    .anyMatch(l -> l.endsWith("held-by-first"));
            assertThat(seconds).as("the second job saw its own descriptors").isNotEmpty();
            Set<String> firstKernelObjects = kernelObjects(firsts);
            for (String line : seconds) {
                String target = line.split(" ", 3)[2];
                assertThat(firstKernelObjects).as(line).doesNotContain(target);
                assertThat(target).as(line).doesNotContain(first.checkout.toString()).doesNotEndWith("held-by-first");
            }
        }
    }

    /** The pipes and sockets among "pid fd target" lines: each names one object of the kernel's by its inode. */
    private static Set<String> kernelObjects(List<String> lines) {
        Set<String> objects = new HashSet<>();
        for (String line : lines) {
            String target = line.split(" ", 3)[2];
            if (target.startsWith("pipe:[") || target.startsWith("socket:[")) {
                objects.add(target);
            }
        }
        return objects;
    }
}
