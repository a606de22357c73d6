package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Routes between slots and between one slot's jobs ({@link SlotCrossingCheck}), in each job-user mode: a root
 * node's uid per slot, a subordinate uid per slot (a {@link TestUser} with subordinate ids), and the node's own
 * uid shared by every slot (a {@link TestUser} without): another slot's {@code /tmp}, {@code /dev/shm},
 * checkout, environment and abstract unix socket, by path and through {@code /proc/<pid>/root}, {@code cwd} and
 * {@code environ}; a job's leftovers in {@code /tmp} and {@code /dev/shm} seen by the slot's next job; and a
 * double-forked survivor with its signals ignored that prints a better metric and writes into the checkout once
 * the job's main process has ended. Each route must be HELD.
 */
class SlotCrossingTest {
    private static final List<String> ROUTES = List.of("shared memory files /tmp/slot1-secret",
            "shared memory files /dev/shm/slot1-secret", "other checkout", "abstract socket", "proc of other processes");
    private static final List<String> NEXT_ROUTES = List.of("leftovers in /tmp", "leftovers in /dev/shm", "survivor seen");

    @Test
    void aRootNodesSlotsEachWithAUidOfTheirOwn() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "a root node's jobs: the tests run as root here only");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), SlotCrossingCheck.class.getName(),
                UUID.randomUUID().toString().substring(0, 8))).directory(new File("/")).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).as(out).isTrue();

        assertHeld(out, "MODE subordinate=false own=true");
    }

    @Test
    void aNodeOfAnOrdinaryUserWithSubordinateIds() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            assertHeld(user.runJava(SlotCrossingCheck.class, Map.of(), 8, user.name()), "MODE subordinate=true");
        }
    }

    @Test
    void aNodeOfAnOrdinaryUserWhoseSlotsShareItsUid() throws Exception {
        try (TestUser user = TestUser.withoutSubordinateIds()) {
            assertHeld(user.runJava(SlotCrossingCheck.class, Map.of(), 8, user.name()), "MODE subordinate=false own=false");
        }
    }

    private static void assertHeld(String out, String mode) {
        out.lines().filter(l -> l.startsWith("MODE") || l.startsWith("LATE_") || l.startsWith("PROBE_STATUS"))
                .forEach(System.out::println);
        String probe = out.lines().filter(l -> l.startsWith("PROBE| ") || l.startsWith("NEXT| "))
                .collect(Collectors.joining("\n"));
        // The survivor printed or wrote, now and then, in the moment between the main process's end and the
        // kernel's kill of the job's PID namespace while bubblewrap's init was PID 1 (it waited for the outer
        // bubblewrap's death). The main process is PID 1 now: its end is that kill, so the survivor never sees it.
        // And it is dead once the runner returns, and the slot's next job never meets it.
        assertThat(out).as(out).contains(mode, "HOLDER ready\n", "PROBE_STATUS OK METRIC OptionalDouble[3.0]\n",
                "SURVIVOR_STARTED true\n", "LATE_LINE false\n", "LATE_FILES false\n",
                "SURVIVOR_ALIVE false\n", "HOLDER_ENDED true 0\n",
                "NEXT_STATUS OK METRIC OptionalDouble[2.0]\n");
        assertThat(probe).as(out).doesNotContain("ESCAPED", "SLOT1-SECRET")
                .contains("PROBE| CONTROL own abstract socket reached", "PROBE| CONTROL own files through proc True");
        for (String route : ROUTES) {
            assertThat(probe).as(route + "\n" + out).contains("PROBE| HELD " + route + ": ");
        }
        for (String route : NEXT_ROUTES) {
            assertThat(probe).as(route + "\n" + out).contains("NEXT| HELD " + route + ": ");
        }
    }
}
