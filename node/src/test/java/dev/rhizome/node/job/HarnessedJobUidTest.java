package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.node.work.HarnessedJobUidCheck;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A harnessed seed's run ({@code HarnessedRunner} through the node's {@code Evaluator}) with jobs of a uid of
 * their own, under a volunteer's umask of 027 ({@link HarnessedJobUidCheck}): the harness directory the node
 * writes was 0750 with 0640 files, which neither a subordinate uid nor a root node's job uid could read, and
 * the model served from a checkout given back to the node after training (its weights 0640, its 0700
 * directories), which a subordinate uid could not read either. Both runs must measure the honest 2 bits.
 */
class HarnessedJobUidTest {
    private static final String HONEST = "STATUS OK METRIC 2.0 MEASURED_BY HARNESS STEPS 7\n";

    @Test
    void aHarnessedSeedRunsWithJobsOfASubordinateUidUnderUmask027() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            String out = user.runJavaUnderUmask("027", HarnessedJobUidCheck.class, Map.of(), 8, user.name());

            assertThat(out).as(out).contains("LAUNCHER_SUBORDINATE true", HONEST, "LEFT []\n");
        }
    }

    @Test
    void aHarnessedSeedRunsWithARootNodesJobUidUnderUmask027() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "a root node's jobs: the tests run as root here only");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of("/bin/sh", "-c", "umask 027 && exec \"$@\"", "sh", java, "-cp",
                System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                HarnessedJobUidCheck.class.getName(), UUID.randomUUID().toString().substring(0, 8)))
                .directory(new File("/")).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).as(out).isTrue();

        assertThat(out).as(out).contains("OWN_UID true", HONEST, "LEFT []\n");
    }
}
