package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file in the job's {@code /tmp} or {@code /dev/shm} that it deleted but holds open has no name
 * for the node's walk, yet keeps its inode, a kilobyte of kernel memory no limit counts without a
 * cgroup: a job of a few processes held more such files than its whole count of files there and
 * ran on. A real job under the real sandbox, an eighth of the node's (6,250 files).
 */
class HeldMemoryFilesTest {
    private static final String HOLD = """
            import os, sys, time
            def hold(tag, n):
                fds = []
                for i in range(n):
                    name = '/%s/held-%s-%d' % ('dev/shm' if i % 2 else 'tmp', tag, i)
                    fds.append(os.open(name, os.O_CREAT | os.O_RDWR, 0o600))
                    os.unlink(name)
                return fds
            kids = []
            for k in range(2):
                pid = os.fork()
                if pid == 0:
                    fds = hold('kid%d' % k, 2500)
                    time.sleep(30)
                    os._exit(0)
                kids.append(pid)
            fds = hold('main', 2500)
            print('holding', flush=True)
            for pid in kids:
                os.waitpid(pid, 0)
            print('held unseen', flush=True)
            """;

    @TempDir
    Path tmp;

    @Test
    void filesDeletedButHeldOpenInTheMemoryMountsCountTowardsItsFiles() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
            JobOutcome outcome = jobs.runPython(HOLD, Map.of(), jobs.sandbox.shared(8));

            String log = jobs.log();
            assertThat(log).doesNotContain("held unseen");
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.CRASH);
            assertThat(outcome.reason()).as(log).contains("files in its /tmp and /dev/shm").contains("deleted but held open");
        }
    }
}
