package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The escape probe as a node of an ordinary user runs strangers' code (job_uid {@code own}): a test-only
 * user ({@link TestUser}) with subordinate ids runs {@link SubordinateEscapeCheck}, whose slot 0 job,
 * {@code subordinate-escape-probe.py}, tries the node's key and data directory, the volunteer's home and a
 * file of its primary group, the id leases in {@code $XDG_RUNTIME_DIR}, slot 1's running job (its checkout,
 * {@code /proc}, signals, ptrace, pidfds), the node and its descriptor helper (its pipes, by every
 * descriptor there), set-user-ID programs and {@code newuidmap} itself, keyrings, the node's abstract unix
 * socket and its TCP port. Each route must say HELD, none ESCAPED; and the node's other job, its helper and
 * its key are as they were.
 */
class SubordinateEscapeTest {
    private static final List<String> ROUTES = List.of("key", "data", "home", "group files", "leases", "group",
            "other slot", "proc", "signals", "ptrace", "pidfd", "helper", "setuid", "newuidmap", "keyctl",
            "abstract sockets", "network");

    @Test
    void aHostileJobOfASubordinateUidReachesNothingOfTheVolunteersNorOfTheOtherSlots() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            Path runtime = Files.createTempDirectory("rzt-run", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            try {
                Files.setAttribute(runtime, "unix:uid", user.uid());
                String out = user.runJava(SubordinateEscapeCheck.class, Map.of("XDG_RUNTIME_DIR", runtime.toString()), 8,
                        user.name(), runtime.toString());
                String probe = out.lines().filter(l -> l.startsWith("PROBE| ")).collect(Collectors.joining("\n"));

                assertThat(out).as(out).contains("REPORT_OWN true\n", "PROBE_DONE true 0\n");
                assertThat(probe).as(out).contains("ESCAPES 0").doesNotContain("ESCAPED", "SECRET-KEY", "NODE-DATA",
                        "GROUP-SECRET", "SLOT1-SECRET");
                for (String route : ROUTES) {
                    assertThat(probe).as(route + "\n" + out).contains("HELD " + route + ": ");
                }
                // the job runs with a subordinate gid, not the node's: the volunteer's group files are not its
                assertThat(probe).contains("PROBE| IDS 1 " + SubordinateJobs.JOBS_GID + " []");
                String fdLinks = out.lines().filter(l -> l.startsWith("PROBE| FD_LINKS")).findFirst().orElseThrow();
                String helperPipes = out.lines().filter(l -> l.startsWith("HELPER_PIPES ")).findFirst().orElseThrow();
                for (String pipe : Arrays.stream(helperPipes.substring("HELPER_PIPES ".length()).split(" "))
                        .filter(p -> !p.isBlank()).toList()) {
                    assertThat(fdLinks).as("the helper's " + pipe + " held by the job").doesNotContain(pipe);
                }
                assertThat(out).contains("OTHER_ALIVE true\n", "HELPER_ANSWERS true\n", "ACCEPTED false\n",
                        "KEY_AFTER SECRET-KEY " + user.uid() + "\n", "GIVEN_BACK true\n");
                // bubblewrap and the job's command at least (PID 1 inside since round 19; bubblewrap's init was a third)
                assertThat(out).containsPattern("TREE_KILLED [2-9] true\n");
            } finally {
                JobDirs.deleteTree(runtime);
            }
        }
    }
}
