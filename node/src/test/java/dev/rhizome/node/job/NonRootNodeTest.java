package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A node as volunteers run it, as an ordinary user without subordinate ids: in a JVM of its own, as
 * a test-only user ({@link TestUser}) when the tests run as root (the development machine, CI), else
 * as the test's user. Root reads and deletes anything, so what a job does to its own files' modes
 * only shows here.
 */
class NonRootNodeTest {

    @Test
    void anOrdinaryUserIsNotTakenForRootAndAJobCannotHideFilesFromItOrKeepThem() throws Exception {
        try (TestUser user = TestUser.withoutSubordinateIds()) {
            String out = user.runJava(NonRootNodeCheck.class, Map.of(), 2, UUID.randomUUID().toString().substring(0, 8));

            // The owner of /proc/self (a root-owned symlink) made every node think it was root.
            assertThat(out).contains("UID " + user.uid() + "\n");
            assumeTrue(out.contains("SANDBOX true"), () -> "this machine cannot sandbox jobs as uid " + user.uid() + ":\n" + out);
            assertThat(out).contains("JOB_UID OptionalInt.empty"); // only root gives its jobs uids of their own
            assertThat(out).contains("JOB_USER shared false FIX " + SandboxProbe.SHARED_UID_FIX);
            assertThat(out).contains("STATUS CRASH", "it hid part of its work directory", "LEFT false")
                    .doesNotContain("DELETE_FAILED");
        }
    }
}
