package dev.rhizome.protocol.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that exits (System.exit, as a SIGTERM handler does) while it starts children leaves none of
 * them running. The children write their own pids, so one started in the instant before the exit
 * (the JVM halted before it could even note the child) is seen too: that instant is where a start
 * followed by a shutdown hook of its own let pg_dump outlive a stopped backup.
 */
class ChildrenAtExitTest {
    @TempDir
    Path dir;

    /** Starts `sh` children one after another until another thread's System.exit stops the JVM. */
    public static final class Starter {
        public static void main(String[] args) throws Exception {
            Path pids = Path.of(args[0]);
            long exitAfterMillis = Long.parseLong(args[1]);
            Thread exit = new Thread(() -> {
                try {
                    Thread.sleep(exitAfterMillis);
                } catch (InterruptedException ignored) {
                    // exit now
                }
                System.exit(143);
            });
            exit.start();
            while (true) {
                try {
                    ChildrenAtExit.start(new ProcessBuilder("/bin/sh", "-c",
                            "echo $$ >> '" + pids + "'; exec sleep 300"), p -> ChildrenAtExit.terminate(p, 2));
                } catch (ChildrenAtExit.Exiting refused) {
                    Files.writeString(pids.resolveSibling("refused"), "yes");
                    return;
                }
            }
        }
    }

    @Test
    void aJvmExitingWhileItStartsChildrenLeavesNoneRunning() throws Exception {
        for (long exitAfter : new long[] {0, 30, 150, 400}) {
            Path pids = dir.resolve("pids-" + exitAfter);
            Files.createFile(pids);
            Process starter = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Starter.class.getName(), pids.toString(),
                    Long.toString(exitAfter))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("starter.log").toFile()).start();
            try {
                assertThat(starter.waitFor(120, TimeUnit.SECONDS)).as("the starter exited").isTrue();
                // a child started the moment the JVM halted may write its pid a little later
                await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30)).until(() -> running(pids).isEmpty());
            } finally {
                starter.destroyForcibly();
                for (long pid : pidsIn(pids)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            assertThat(starter.exitValue()).as("exited through System.exit").isEqualTo(143);
        }
    }

    private static List<Long> running(Path pids) throws Exception {
        return pidsIn(pids).stream().filter(pid -> ProcessStarts.running(pid, OptionalLong.empty()))
                .collect(Collectors.toList());
    }

    private static List<Long> pidsIn(Path pids) throws Exception {
        return Files.readAllLines(pids).stream().map(String::strip).filter(s -> !s.isEmpty())
                .map(Long::parseLong).collect(Collectors.toList());
    }
}
