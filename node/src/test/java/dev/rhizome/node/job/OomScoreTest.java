package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where no cgroup bounds a job's memory, a second's worth passes the node's once-a-second sum: if
 * the machine runs out meanwhile, the kernel must kill the job's processes, not the volunteer's. A
 * real job under the real sandbox reads its score's adjustment, in its first process and in one it
 * started, and cannot lower it.
 */
class OomScoreTest {
    private static final String PROBE = """
            import subprocess
            print('main adj', open('/proc/self/oom_score_adj').read().strip())
            print('child adj', subprocess.run(['cat', '/proc/self/oom_score_adj'], capture_output=True, text=True).stdout.strip())
            try:
                with open('/proc/self/oom_score_adj', 'w') as f:
                    f.write('0')
                print('lowered to', open('/proc/self/oom_score_adj').read().strip())
            except OSError as e:
                print('lowering refused', e.errno)
            """;

    @TempDir
    Path tmp;

    @Test
    void everyProcessOfAJobIsTheOutOfMemoryKillersFirstChoiceAndCannotStepBack() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
                        String log = jobs.runOk(PROBE);
            assertThat(log).contains("main adj 1000", "child adj 1000", "lowering refused").doesNotContain("lowered to");
        }
    }
}
