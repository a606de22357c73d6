package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The private directory of bubblewrap's inputs: made private, made anew when it is no longer ours;
 * a node killed with SIGKILL leaves it in the temporary directory, and the next node clears it.
 */
class SeccompProgramsTest {
    @TempDir
    Path tmp;

    @Test
    void programsOfKilledProcessesAreRemovedAndThoseOfLiveOnesKept() throws Exception {
        Process killed = new ProcessBuilder("sleep", "60").start();
        long deadPid = killed.pid();
        // what follows needs it gone: a 10 s wait whose answer went unread let a slow exit race the next step
        assertThat(killed.destroyForcibly().waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            long self = ProcessHandle.current().pid();
            Path dead = program("rhizome-seccomp-" + deadPid + "-1234", "filter.bpf");
            Files.writeString(dead.resolve("filter-99.tmp"), "dead, mid-write");
            program("rhizome-seccomp-" + deadPid + "-5678", null);  // killed before its program was written
            program("rhizome-seccomp-" + alive.pid() + "-1234", "filter.bpf");
            program("rhizome-seccomp-" + self + "-77", "filter.bpf");
            program("rhizome-seccomp-notapid", "filter.bpf");

            assertThat(SeccompPrograms.removeOrphans(tmp, self)).isEqualTo(2);

            try (Stream<Path> files = Files.list(tmp)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                        "rhizome-seccomp-" + alive.pid() + "-1234", "rhizome-seccomp-" + self + "-77",
                        "rhizome-seccomp-notapid");
            }
        } finally {
            alive.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The child: makes its program and a one-shot file in args[0], as a job's start does, and exits with them there. */
    public static final class ExitsMidJob {
        public static void main(String[] args) throws Exception {
            SeccompPrograms programs = new SeccompPrograms(Path.of(args[0]), Optional.of(SeccompFilter.Arch.X86_64));
            programs.program().orElseThrow();
            programs.oneShot("passwd-", "nobody:x:65534:65534::/:/bin/sh\n".getBytes());
            SeccompPrograms.shown(programs.shownDirectory(), "proc-", "MemTotal: 1 kB\n".getBytes());
            System.exit(0);  // as a node stopped while a job runs: its one-shot files are not deleted yet
        }
    }

    /**
     * The files a job opens itself (its copies of /proc) are in a directory of their own, new at each start and
     * named by nothing of the node's (the job reads its path in its mountinfo): gone when the job ends, with
     * the node's private directory at its exit, or with an orphaned one.
     */
    @Test
    void aStartsShownDirectoryIsNewEachStartAndGoesWithTheJobOrWithItsNodesDirectory() throws Exception {
        SeccompPrograms programs = new SeccompPrograms(tmp, Optional.of(SeccompFilter.Arch.X86_64));
        Path privateDir = programs.program().orElseThrow().getParent();
        Path first = programs.shownDirectory();
        Path second = programs.shownDirectory();
        Path meminfo = SeccompPrograms.shown(first, "proc-", "MemTotal: 1 kB\n".getBytes());

        assertThat(first.getParent()).isEqualTo(tmp);
        assertThat(first.getFileName().toString()).startsWith(SeccompPrograms.SHOWN_PREFIX)
                .doesNotContain(Long.toString(ProcessHandle.current().pid()));
        assertThat(second).isNotEqualTo(first);
        assertThat(Files.getPosixFilePermissions(first)).isEqualTo(PosixFilePermissions.fromString("rwx--x--x"));
        assertThat(Files.getPosixFilePermissions(meminfo)).isEqualTo(PosixFilePermissions.fromString("r--r--r--"));

        programs.removeShown(first);
        assertThat(first).doesNotExist();
        assertThat(second).exists();
        programs.closeAtExit();
        assertThat(second).doesNotExist();
        assertThat(privateDir).doesNotExist();

        // A node killed outright: its shown directories go with its private directory.
        Process killed = new ProcessBuilder("sleep", "60").start();
        assertThat(killed.destroyForcibly().waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();
        Path dead = program("rhizome-seccomp-" + killed.pid() + "-1", "filter.bpf");
        Path orphan = Files.createDirectory(Files.createDirectory(tmp.resolve("jobs")).resolve(SeccompPrograms.SHOWN_PREFIX + "42"));
        Files.writeString(dead.resolve("shown-42"), orphan.toString());
        Files.writeString(orphan.resolve("proc-1.tmp"), "MemTotal: 1 kB\n");
        Files.setPosixFilePermissions(orphan, PosixFilePermissions.fromString("rwx--x--x"));
        assertThat(SeccompPrograms.removeOrphans(tmp, ProcessHandle.current().pid())).isEqualTo(1);
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("jobs");
        }
        assertThat(orphan).doesNotExist();
    }

    /** The child: its first job starts once its exit has begun (a shutdown hook of its own starts it). */
    public static final class FirstJobDuringExit {
        public static void main(String[] args) throws Exception {
            SeccompPrograms programs = new SeccompPrograms(Path.of(args[0]), Optional.of(SeccompFilter.Arch.X86_64));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    programs.program();
                } catch (IOException | RuntimeException refused) {
                    System.out.println("refused: " + refused);
                }
            }));
            System.exit(0);
        }
    }

    /**
     * A node stopped (SIGTERM) just as it resumed a unit: the first job's start came after the exit
     * began, made the private directory, was refused the shutdown hook that deletes it, and left it
     * (the PostgreSQL storm of 2026-12-05, its restart check). It is refused before anything is made.
     */
    @Test
    void aFirstJobStartingAfterTheExitBeganLeavesNothing() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), FirstJobDuringExit.class.getName(), tmp.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("refused");
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.toList()).as("left in the temporary directory; the child said: %s", output).isEmpty();
        }
    }

    /**
     * A process that exits (a node stopped by SIGTERM while a job runs) with one-shot files still in
     * its directory leaves nothing: the directory's delete-on-exit failed on them, one directory
     * per stopped node (the kill storm's restart check found three).
     */
    @Test
    void aProcessThatExitsWithOneShotFilesLeftRemovesItsDirectory() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), ExitsMidJob.class.getName(), tmp.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isZero();
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.toList()).as("left in the temporary directory").isEmpty();
        }
    }

    /**
     * The clean-up at exit runs beside a slot still starting its job (a node stopped just as a job
     * began): what the slot writes after it must not stay behind in a directory made anew.
     */
    @Test
    void nothingIsWrittenAfterTheCleanUpAtExit() throws Exception {
        SeccompPrograms programs = new SeccompPrograms(tmp, Optional.of(SeccompFilter.Arch.X86_64));
        programs.program().orElseThrow();
        programs.oneShot("args-", "--".getBytes());

        programs.closeAtExit();

        assertThatThrownBy(() -> programs.oneShot("passwd-", "nobody:x:65534:65534::/:/bin/sh\n".getBytes()))
                .isInstanceOf(IOException.class).hasMessageContaining("exiting");
        assertThatThrownBy(programs::program).isInstanceOf(IOException.class);
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.toList()).as("left in the temporary directory").isEmpty();
        }
    }

    @Test
    void theProgramAndOneShotFilesLiveInAPrivateDirectoryMadeAnewWhenItIsNoLongerOurs() throws Exception {
        SeccompPrograms programs = new SeccompPrograms(tmp, Optional.of(SeccompFilter.Arch.X86_64));

        Path program = programs.program().orElseThrow();
        Path passwd = programs.oneShot("passwd-", "root:x:0:0::/:/bin/sh\n".getBytes());

        Path dir = program.getParent();
        assertThat(dir.getParent()).isEqualTo(tmp);
        assertThat(dir.getFileName().toString()).startsWith("rhizome-seccomp-" + ProcessHandle.current().pid() + "-");
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(passwd)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(passwd.getParent()).isEqualTo(dir);
        assertThat(Files.readAllBytes(program)).isEqualTo(SeccompFilter.program(SeccompFilter.Arch.X86_64));
        assertThat(programs.program()).hasValue(program); // kept, not rewritten per job

        // Opened up (a temp cleaner, another user's doing): not ours alone any more, so a new one is made.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path again = programs.program().orElseThrow();
        assertThat(again.getParent()).isNotEqualTo(dir);
        assertThat(Files.readAllBytes(again)).isEqualTo(SeccompFilter.program(SeccompFilter.Arch.X86_64));

        // On an architecture the filter does not know: no program, the directory still takes one-shot files.
        SeccompPrograms none = new SeccompPrograms(tmp, Optional.empty());
        assertThat(none.program()).isEmpty();
        assertThat(none.oneShot("args-", new byte[] {0})).exists();
    }

    private Path program(String dir, String file) throws Exception {
        Path d = Files.createDirectory(tmp.resolve(dir),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (file != null) {
            Files.writeString(d.resolve(file), "program");
        }
        return d;
    }
}
