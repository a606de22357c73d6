package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules that read a job's descriptors once a second share one look (a real process's, read from
 * {@code /proc}), and nothing older than a poll or two is ever served: a descriptor the job opens after the
 * window is seen.
 */
class RecentLookTest {
    private Process job;

    @AfterEach
    void stop() {
        if (job != null) {
            job.destroyForcibly();
        }
    }

    @Test
    void theHeldFilesAndTheDescriptorsRulesOfOnePollShareOneLookAndALaterPollLooksAgain() throws Exception {
        // A job holding 200 descriptors, which opens 50 more when told (a line on its input).
        job = new ProcessBuilder("/usr/bin/python3", "-c", """
                import os, sys
                held = [os.open('/dev/null', os.O_RDONLY) for _ in range(200)]
                print('ready', flush=True)
                sys.stdin.readline()
                held += [os.pipe()[0] for _ in range(50)]
                print('more', flush=True)
                sys.stdin.readline()
                """).start();
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(job.getInputStream()));
        assertThat(out.readLine()).isEqualTo("ready");
        AtomicInteger looks = new AtomicInteger();
        DescriptorSource proc = DescriptorSource.onThisMachine();
        DescriptorSource counted = (pids, max, watchCap) -> {
            looks.incrementAndGet();
            return proc.look(pids, max, watchCap);
        };
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RecentLook shared = new RecentLook(counted, 10_001, now::get);
        List<ProcessHandle> alive = List.of(job.toHandle());
        TreeRule held = new HeldDescriptors(shared, 10_000, 40);
        DeletedFiles deleted = new DeletedFiles(shared, DeletedFiles.MAX_DESCRIPTORS);

        // One poll: the held files ask first (no watches), the descriptors' rule next; the kernel is read once.
        assertThat(deleted.files(alive, Set.of(1L))).isZero();
        assertThat(held.check(alive)).isEmpty();
        // and the runner's disk check in the same poll (JobProcess#descriptors hands it the same look)
        assertThat(deleted.bytes(alive, 1L)).isZero();
        assertThat(looks).hasValue(1);
        int seen = shared.look(List.of(job.pid()), DeletedFiles.MAX_DESCRIPTORS, 0).descriptors().size();
        assertThat(seen).isGreaterThanOrEqualTo(200);

        // The job opens 50 pipes (past the rule's 40); within the window the look is a poll old, after it the
        // next asker reads the kernel again and finds them.
        job.getOutputStream().write('\n');
        job.getOutputStream().flush();
        assertThat(out.readLine()).isEqualTo("more");
        now.addAndGet(RecentLook.FRESH_NANOS + 1);
        assertThat(held.check(alive)).hasValueSatisfying(why -> assertThat(why).contains("more than 40 pipes"));
        assertThat(looks).hasValue(2);
        assertThat(shared.look(List.of(job.pid()), DeletedFiles.MAX_DESCRIPTORS, 0).descriptors())
                .hasSizeGreaterThanOrEqualTo(seen + 50);
        assertThat(looks).hasValue(2);

        // Other processes, or more watches than the look counted, are a look of their own.
        shared.look(List.of(job.pid(), ProcessHandle.current().pid()), DeletedFiles.MAX_DESCRIPTORS, 0);
        assertThat(looks).hasValue(3);
        shared.look(List.of(job.pid(), ProcessHandle.current().pid()), DeletedFiles.MAX_DESCRIPTORS, 20_000);
        assertThat(looks).hasValue(4);
    }
}
