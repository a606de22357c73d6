package dev.rhizome.protocol.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
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

    /**
     * Starts one child from a thread that then ends (as a command's worker thread does), writes the
     * child's pid, and waits to be killed.
     */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Path pid = Path.of(args[0]);
            Process[] child = new Process[1];
            Thread starter = new Thread(() -> {
                try {
                    child[0] = ChildrenAtExit.start(new ProcessBuilder("sleep", "300"), p -> ChildrenAtExit.terminate(p, 2))
                            .process();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            starter.start();
            starter.join();
            Files.writeString(pid, Long.toString(child[0].pid()));
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void aSigkilledJvmsChildrenDieWithItButNotWithTheThreadThatStartedThem() throws Exception {
        assumeTrue(ChildrenAtExit.tiedToParent(), "setpriv (util-linux) is not installed here");
        Path pidFile = dir.resolve("child.pid");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(), pidFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("holder.log").toFile()).start();
        long child = 0;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
            child = Long.parseLong(Files.readString(pidFile).strip());
            long pid = child;
            // the thread that started it has ended: a parent-death signal armed on that thread would have fired
            assertThat(ProcessStarts.running(pid, OptionalLong.empty())).as("the child outlives its starter thread").isTrue();
            assertThat(ProcessHandle.of(pid).flatMap(h -> h.info().command())).as("the child runs its own command")
                    .hasValueSatisfying(c -> assertThat(c).endsWith("sleep"));
            holder.destroyForcibly();  // SIGKILL: no shutdown hook runs
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> !ProcessStarts.running(pid, OptionalLong.empty()));
        } finally {
            holder.destroyForcibly();
            if (child != 0) {
                ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void aMissingProgramIsNamedAsBefore() {
        assertThatThrownBy(() -> ChildrenAtExit.start(new ProcessBuilder("rhizome-no-such-program"), p -> { }))
                .isInstanceOf(IOException.class).hasMessageContaining("rhizome-no-such-program");
    }

    @Test
    void aChildKeepsItsArgumentsAndExitStatusBehindTheTie() throws Exception {
        Process p = ChildrenAtExit.start(new ProcessBuilder("/bin/sh", "-c", "printf '%s|' \"$@\"; exit 7", "x", "a b", "$HOME", ""),
                q -> { }).process();
        assertThat(new String(p.getInputStream().readAllBytes())).isEqualTo("a b|$HOME||");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(7);
    }

    @Test
    void aGroupsLeaderKeepsItsCommandsArgumentsAndExitStatus() throws Exception {
        Process p = ChildrenAtExit.startGroup(new ProcessBuilder("/bin/sh", "-c", "printf '%s|' \"$@\"; exit 7", "x", "a b", ""),
                q -> { }).process();
        assertThat(new String(p.getInputStream().readAllBytes())).isEqualTo("a b||");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(7);
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
