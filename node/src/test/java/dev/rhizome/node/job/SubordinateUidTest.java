package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node of an ordinary user with subordinate ids, as volunteers run it: a test-only user
 * ({@link TestUser}) running {@link SubordinateUidCheck} in a JVM of its own. Its job runs in bubblewrap as a subordinate uid: it cannot read the node's key nor signal the node or the
 * descriptor helper, and what it holds open (a deleted file, pipes) is still counted, through the
 * helper, where the node's own look at {@code /proc} is blind.
 */
class SubordinateUidTest {

    @Test
    void aJobOfASubordinateUidCannotReachTheNodeAndItsDescriptorsAreStillCounted() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            String out = user.runJava(SubordinateUidCheck.class, Map.of(), 3, user.name());
            int nodeUid = Integer.parseInt(out.lines().filter(l -> l.startsWith("UID ")).findFirst().orElseThrow().substring(4));
            long first = user.firstSubordinateUid().orElseThrow();

            assertThat(out).as(out).containsPattern("FOREIGN_RANGE .*newuidmap .* failed \\(exit 1\\)")
                    .contains("WORK_OWNER " + first + "\n")
                    // the job runs on the host as the range's first uid (its namespace's id 1), not the node's
                    .contains("JOB_HOST_UIDS [" + first + "]\n", "JOB_INSIDE_UID 1\n")
                    .contains("Permission denied").doesNotContain("SECRET-KEY")
                    .contains("NODE_KILL_RC 1\n", "HELPER_KILL_RC 1\n")
                    // the node alone sees none of its descriptors, the helper sees them all
                    .contains("DIRECT_SEEN 0\n", "DIRECT_DELETED 0\n", "HELPER_DELETED " + (3 << 20) + "\n")
                    .contains("HELPER_PIPES_OVER_1 it held more than 1 pipes", "HELPER_PIPES_OVER_8 none\n")
                    .contains("BLIND_AFTER_HELPER_ENDS the node could not look at its descriptors")
                    .contains("JOB_DIR_MODE rwx--x--- GID_IS_JOBS true\n", "TRAIN_WRITABLE 0\n")
                    // a crash's leftovers (a chmod 000 tree of the job's uid) are given back and removed at the next start
                    .contains("LEFT_OWNER " + first + "\n", "LEFTOVERS 0\n")
                    // a process of a job's uid beside the helper, in its PID namespace, may neither signal nor trace it
                    .contains("Operation not permitted", "SIGNAL_HELPER_RC 1\n", "HELPER_ENVIRON_RC 1\n")
                    .contains("JOB2_RC 0\n", "JOB2_OWNER " + (first + 1) + "\n", "GIVEN_BACK true true\n")
                    // the links to the node's key were changed as links, the key never
                    .contains("KEY_AFTER intact " + nodeUid + "\n", "KEY_OWNER_AFTER " + nodeUid + "\n");
            assertThat(nodeUid).isNotEqualTo((int) first);
        }
    }

    /**
     * The launcher as a node of an ordinary user runs it: the job runs as the namespace's id 1 (the
     * range's first uid on the host, not the node's), cannot read the node's key or data directory,
     * lives through the runner's walks of its checkout with a 0700 directory in it (walked by the
     * helper), and its checkout is given back to the node once it ends and then deleted.
     */
    @Test
    void theLauncherRunsAJobAsASubordinateUidAndGivesItsCheckoutBack() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            Map<String, String> env = new HashMap<>();
            env.put("XDG_RUNTIME_DIR", null); // root's: the test user's leases go to the temporary directory
            String out = user.runJava(SubordinateLauncherCheck.class, env, 3, user.name());
            int nodeUid = Integer.parseInt(out.lines().filter(l -> l.startsWith("UID ")).findFirst().orElseThrow().substring(4));
            long first = user.firstSubordinateUid().orElseThrow();

            assertThat(out).as(out).contains("REPORT_OWN true JOB_UID own\n", "JOB_USER true own: ", "LAUNCHER_SUBORDINATE true\n")
                    .contains("STATUS OK EXIT 0\n")
                    .contains("JOB_HOST_UID " + first + "\n", "JOB_INSIDE_UID 1 GID " + SubordinateJobs.JOBS_GID + "\n")
                    .containsPattern("KEY_RC 1 KEY_OUT .*Permission denied").doesNotContain("SECRET-KEY")
                    .containsPattern("DATA_RC [12] DATA_OUT .*Permission denied").doesNotContain("NODE-DATA")
                    .contains("SECOND_DONE true 0\n", "GIVEN_BACK true\n", "GIVEN_BACK_AGAIN true\n", "DELETED true\n");
            assertThat(nodeUid).isNotEqualTo((int) first);
        }
    }

    /**
     * bubblewrap opens each bind's source as the job's subordinate uid: a checkout under a directory of the
     * node user's that lets no other user pass failed every job with bubblewrap's bare "Can't find source
     * path". The launcher names the directory, for which uid, and the remedy, as it does for a root node's.
     */
    @Test
    void aCheckoutTheSubordinateUidCannotReachIsRefusedNamingTheDirectoryInTheWay() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            Map<String, String> env = new HashMap<>();
            env.put("XDG_RUNTIME_DIR", null);
            String out = user.runJava(SubordinateReachCheck.class, env, 2);
            String closed = out.lines().filter(l -> l.startsWith("CLOSED ")).findFirst().orElseThrow().substring(7);
            long first = user.firstSubordinateUid().orElseThrow();

            assertThat(out).as(out).contains("LAUNCHER_SUBORDINATE true\n")
                    .contains("REFUSED jobs run as uid " + first + " ")
                    .contains(closed + " (rwx------, owner uid " + user.uid() + ") does not let them pass",
                            "chmod o+x " + closed)
                    .doesNotContain("STARTED");
        }
    }
}
