package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Escapes a probe found, each run for real under bubblewrap, each failing before its fix: places
 * outside the checkout a job could write (memory past any limit), what of the node reached it
 * through bubblewrap's environment, trees the node could neither measure nor delete, and a
 * result file the node followed to wherever the job pointed it.
 */
class SandboxEscapeTest {
    /**
     * A job that a limit under test must stop holds what it made until stopped (a sleep of an hour):
     * the limit's CRASH, not this budget's TIMEOUT, is what the test looks for. A hold of 5-30 s can
     * end first on a loaded machine and read OK (HostCountsTest's did at load 34 on 2 cores).
     */
    private static final Duration JOB_BUDGET = JobBudgets.ENDS_BY_ITSELF;
    private static final Duration TORCH_JOB_BUDGET = JobBudgets.ENDS_BY_ITSELF_WITH_TORCH;

    private static final SandboxLimits SMALL = new SandboxLimits(256L << 20, 64, 16L << 20);
    /**
     * The sandbox, with jobs at this test's own priority ({@link BwrapLauncher#atCallersPriority}),
     * by the same route as a node's: at nice 19 and in the idle I/O class they got next to nothing
     * of a machine busy with builds and some cases ended in TIMEOUT. What a job may do does not
     * depend on it.
     */
    private static BwrapLauncher sandbox;
    /** The sandbox as a node runs it, for the cases about the job's priority. */
    private static BwrapLauncher atJobPriority;
    private static Optional<CgroupV2> cgroup;

    @TempDir
    Path dataDir;

    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final String secret = "SECRET-" + UUID.randomUUID();
    private Path jobs;
    private Path checkout;

    @BeforeAll
    static void buildSandbox() {
        cgroup = CgroupV2.detect().cgroup();
        atJobPriority = SandboxedJobs.atJobPriority(SMALL);
        sandbox = atJobPriority.atCallersPriority();
    }

    @BeforeEach
    void node() throws IOException {
        jobs = JobDirs.prepare("escape-" + tag);
        checkout = Files.createDirectory(jobs.resolve("unit"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        JobDirs.deleteTree(jobs);
    }

    @Test
    void nothingOutsideTheCheckoutIsWritableButACappedTmpAndDevShm() throws Exception {
        // bubblewrap's root and /dev are tmpfs of no size: writing there took the machine's memory
        // past RLIMIT_AS, which does not count files in memory.
        String script = """
                for d in / /etc /dev /usr /proc; do echo x > $d/planted 2>/dev/null && echo "WROTE[$d]"; done
                mkdir /newdir 2>/dev/null && echo 'MADE /newdir'
                echo x > /dev/shm/small && echo 'WROTE /dev/shm small'
                dd if=/dev/zero of=/dev/shm/big bs=1M count=64 2>/dev/null && echo 'WROTE /dev/shm 64 MiB'
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("WROTE /dev/shm small").doesNotContain("WROTE[", "MADE /newdir", "WROTE /dev/shm 64");
    }

    @Test
    void theConfigurationOfProgramsTheVolunteerInstalledLocallyIsNotShown() throws Exception {
        Path local = Path.of("/usr/local/etc");
        assumeTrue(Files.isDirectory(local, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Files.isSymbolicLink(Path.of("/usr/local")), "no /usr/local/etc of its own here");
        // The host's own, whatever this machine has there (npm's npmrc on the development machine), and
        // the mount itself, which tells where the host's is empty (a CI machine's).
        JobOutcome outcome = run("echo \"LISTED[$(ls -A /usr/local/etc | tr '\\n' ' ')]\"; "
                + "awk '$5 == \"/usr/local/etc\" { print \"MOUNTED[\" $6 \" \" $(NF - 2) \"]\" }' /proc/self/mountinfo; "
                + "touch /usr/local/etc/planted 2>/dev/null && echo PLANTED; echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).as(log()).contains("LISTED[]").containsPattern("MOUNTED\\[ro,\\S* tmpfs\\]")
                .doesNotContain("PLANTED");
    }

    @Test
    void theNodesWorkingDirectoryDoesNotReachTheJob() throws Exception {
        String cwd = Path.of("").toAbsolutePath().toString();
        assumeTrue(!cwd.equals("/"), "the test runs from /");
        // The shells before bubblewrap export PWD; bubblewrap (the namespace's pid 1) passes its environment on.
        JobOutcome outcome = run("tr '\\0' '\\n' < /proc/1/environ; env; echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).doesNotContain("PWD=" + cwd);
    }

    @Test
    void aTreeNestedPastThePathLimitIsStoppedAndDeleted() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 nests the directories");
        // One chdir at a time, deeper than the 4096 bytes a path may have: the node's walk failed
        // there, so the bytes below were not counted, and nothing could delete the tree.
        String script = """
                /usr/bin/python3 -c "
                import os
                os.mkdir('deep'); os.chdir('deep')
                for i in range(1500):
                    os.mkdir('dd'); os.chdir('dd')
                open('big', 'wb').write(b'x' * (24 << 20))
                print('DEEP', len(os.getcwd()))
                "
                sleep 3
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, 8L << 20);

        // (It may be stopped before it says "DEEP": the walk fails as soon as the nesting passes the limit.)
        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).contains("it hid part of its work directory");

        JobDirs.deleteTree(checkout);
        assertThat(checkout).doesNotExist();
        assertThat(JobDirs.prepare("escape-" + tag)).isEmptyDirectory(); // a node restarting on it starts
    }

    @Test
    void aRootNodeHandsTheNextPhaseOnlyWhatItMadeNotWhatTheJobLeft() throws Exception {
        assumeTrue(sandbox.plan().jobUid().isPresent(), "a node running as root hands its checkout to nobody");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 plants the tree");
        // A harnessed seed's phases (prepare, then training) run in one checkout, each start giving the
        // job's uid the tree. That walk went through what the earlier phase left: a tree nested past
        // the path limit threw out of the next start (out of the runner, not a CRASH it reports), and
        // links and FIFOs lay on its way. Now only what the node made is walked, once.
        Path key = Files.writeString(dataDir.resolve("node.key"), secret);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path volunteers = Files.createDirectory(dataDir.resolve("volunteer"));
        Path photo = Files.writeString(volunteers.resolve("photo"), "mine");
        Files.createDirectories(checkout.resolve("src"));
        Files.writeString(checkout.resolve("src/model.py"), "# the node's checkout\n");
        String plant = """
                /usr/bin/python3 -c "
                import os
                open('src/model.py', 'a').write('prepared\\n')
                os.mkfifo('pipe')
                os.symlink('%s', 'key')
                os.symlink('%s', 'volunteer')
                os.mkdir('deep'); os.chdir('deep')
                for i in range(1500):
                    os.mkdir('dd'); os.chdir('dd')
                os.mkfifo('pipe')
                os.symlink('%s', 'key')
                "
                echo 'val_bpb: 1.0'
                """.formatted(key, volunteers, key);
        run(plant, Long.MAX_VALUE); // stopped for the tree it hid from its budget, which stays on disk
        assertThat(Files.readString(checkout.resolve("src/model.py"))).as(log()).endsWith("prepared\n");

        // The next phase starts, is stopped for that tree as its own budget finds it, and says so.
        JobOutcome next = run("echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(next.status()).as(log()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).contains("it hid part of its work directory");
        for (Path mine : List.of(key, volunteers, photo)) {
            assertThat(Files.getAttribute(mine, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(mine.toString()).isEqualTo(0);
        }
    }

    @Test
    void theResultFileIsReadOnlyIfTheHarnessLeftARegularFileThere() throws Exception {
        // The harness runs inside; the node reads its result outside, with the node's rights.
        Path key = Files.writeString(dataDir.resolve("identity.key"), "val_bpb: 0.25\nerror: " + secret + "\n");
        int tried = 0;
        for (String trap : List.of("ln -s '" + key + "' \"$RHIZOME_RESULT_FILE\"",
                "ln '" + key + "' \"$RHIZOME_RESULT_FILE\" || ln -s '" + key + "' \"$RHIZOME_RESULT_FILE\"",
                "mkfifo \"$RHIZOME_RESULT_FILE\"", "mkdir \"$RHIZOME_RESULT_FILE\"",
                // A terabyte of nothing (sparse: no disk), and a unix socket: read up to the bound, or not at all.
                "truncate -s 1T \"$RHIZOME_RESULT_FILE\"",
                "python3 -c 'import os, socket; socket.socket(socket.AF_UNIX).bind(os.environ[\"RHIZOME_RESULT_FILE\"])'")) {
            Path harnessDir = Files.createDirectories(jobs.resolve("harness"));
            Path resultDir = jobs.resolve("result-" + tried++);
            HarnessedSpec spec = new HarnessedSpec(checkout, harnessDir, resultDir, List.of(),
                    List.of("/bin/sh", "-c", "true"), List.of("/bin/sh", "-c", "cat >/dev/null"),
                    List.of("/bin/sh", "-c", trap), Map.of(), JOB_BUDGET, dataDir.resolve("h.log"), "val_bpb");

            HarnessedOutcome outcome = new HarnessedRunner(new JobRunner(sandbox), sandbox).run(spec, JobProgress.IGNORE);

            String log = Files.readString(dataDir.resolve("h.log"));
            assertThat(outcome.outcome().status()).as(trap + "\n" + log).isEqualTo(Result.Status.CRASH);
            assertThat(outcome.reason() + log).as(trap).doesNotContain(secret);
            assertThat(key).hasContent("val_bpb: 0.25\nerror: " + secret + "\n");
        }
    }

    @Test
    void theJobDirectoryOfARealTreeIsDeletedWhateverItsModes() throws Exception {
        Path sub = Files.createDirectories(checkout.resolve("a/b/c"));
        Files.writeString(sub.resolve("f"), "x");
        Files.createSymbolicLink(checkout.resolve("a/link"), dataDir);
        Files.writeString(dataDir.resolve("kept"), "x");
        Files.setPosixFilePermissions(checkout.resolve("a/b"), Set.of());

        JobDirs.deleteTree(checkout);

        assertThat(Files.exists(checkout, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(dataDir.resolve("kept")).exists(); // a link is removed, not followed
    }

    @Test
    void theSeccompProgramIsWhereNoOtherUserCanPlantOne() throws Exception {
        assumeTrue(SeccompFilter.Arch.host().isPresent(), "no seccomp filter on this architecture");
        Path program = sandbox.seccompFile().orElseThrow();
        Path dir = program.getParent();
        assertThat(dir.getParent()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath());
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));

        // A temp cleaner removes it; someone plants their own program under the name it had.
        JobDirs.deleteTree(dir);
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(program, "planted");
        try {
            Path again = sandbox.seccompFile().orElseThrow();

            assertThat(again.getParent()).isNotEqualTo(dir);
            assertThat(Files.readAllBytes(again)).isEqualTo(SeccompFilter.program(SeccompFilter.Arch.host().get()));
            assertThat(run("echo 'val_bpb: 1.0'", Long.MAX_VALUE).status()).as(log()).isEqualTo(Result.Status.OK);
        } finally {
            JobDirs.deleteTree(dir);
        }
    }

    @Test
    void theJobLearnsNoLocalUsersNameAndNeitherPid1NorItsDescriptorsNameAPathOfTheNode() throws Exception {
        List<String> hostUsers = new ArrayList<>();
        for (Path f : List.of(Path.of("/etc/passwd"), Path.of("/etc/group"))) {
            for (String line : Files.readAllLines(f)) {
                String name = line.split(":", 2)[0];
                if (!name.isBlank() && !List.of("root", "nobody", "nogroup").contains(name)) {
                    hostUsers.add(name + ":x:");
                }
            }
        }
        assumeTrue(!hostUsers.isEmpty(), "this machine names no user but root and nobody");
        String spyPath = "/home/spy-" + tag + "/.local/bin";
        // bubblewrap was the job's PID 1: its command line named every path it bound (the checkout, so
        // the node's uid and id), its environment the node's PATH (the node user's home); the
        // descriptor of its log named the data directory.
        String script = """
                cat /etc/passwd /etc/group
                echo "PID1[$(tr '\\0' ' ' < /proc/1/cmdline)]"
                echo "ENV1[$(tr '\\0' ' ' < /proc/1/environ)] PATH[$PATH]"
                echo "ME[$(id)]"
                echo "BOOT[$(cat /proc/sys/kernel/random/boot_id)]"
                ls -l /proc/1/fd /proc/self/fd
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE, Map.of("PATH", spyPath + ":/usr/bin:/bin"));

        String log = log();
        assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
        assertThat(log).as(log).contains("root:x:0:", "nobody:x:65534:")
                .doesNotContain(hostUsers.toArray(String[]::new));
        int uid = sandbox.plan().jobUid().orElse(JobDirs.myUid());
        assertThat(log).as("the job's uid has a name").containsPattern("ME\\[uid=" + uid + "\\([a-z]+\\)");
        String pid1 = log.substring(log.indexOf("PID1["), log.indexOf("\n", log.indexOf("PID1[")));
        // PID 1 is the job's own command now (--as-pid-1): its script, no option of bubblewrap's
        assertThat(pid1).contains("/bin/sh -c cat /etc/passwd").doesNotContain(checkout.toString(), jobs.getFileName().toString(), "--bind",
                "--ro-bind", "--seccomp", "--args");
        assertThat(log).doesNotContain("spy-" + tag).contains("PATH[/usr/bin:/bin]");
        // The host's boot id is the same for every job it runs: a fingerprint of the machine.
        assertThat(log).contains("BOOT[").doesNotContain(Files.readString(Path.of(BwrapCommand.BOOT_ID)).strip());
        // Its output goes to a log in the data directory: through a pipe, since a file's descriptor names its path.
        assertThat(log).doesNotContain(dataDir.toString()).contains("1 -> pipe:");
        // Each start's files for bubblewrap are gone with the job; the program stays.
        Optional<Path> program = sandbox.seccompFile();
        if (program.isPresent()) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                try (Stream<Path> files = Files.list(program.get().getParent())) {
                    assertThat(files.map(f -> f.getFileName().toString())).containsExactly("filter.bpf");
                }
            });
        }
        // bubblewrap closed the descriptors its inputs came on (4 to 9: its own eventfd may reuse one)
        assertThat(log).doesNotContainPattern("(?m) [4-9] -> /").doesNotContain("rhizome-seccomp");
    }

    @Test
    void aJobCannotRewritePid1SoThatItOutlivesBubblewrapAndTheNode() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 writes the code");
        assumeTrue(System.getProperty("os.arch").equals("amd64"), "the code written is x86-64's");
        // PID 1 inside is bubblewrap's init, of the job's uid, and holds the parent-death signal that
        // ends the namespace when bubblewrap (or the node, which it dies with) is killed. The job
        // wrote code through /proc/1/mem where init's wait4 returns to: prctl(PR_SET_PDEATHSIG, 0),
        // then pause() for ever; an orphan's end woke init into it. Killing bubblewrap, as the node's
        // death does, then left the job running with no one to stop it.
        String script = """
                import os, time
                try:
                    fd = os.open('/proc/1/mem', os.O_RDWR)
                except OSError as e:
                    print('MEM REFUSED', e.errno, flush=True)
                else:
                    pc = int(open('/proc/1/syscall').read().split()[-1], 16)
                    os.lseek(fd, pc, 0)
                    os.write(fd, bytes.fromhex('bf01000000' '31f6' 'b89d000000' '0f05' 'b822000000' '0f05' 'ebf7'))
                    os.close(fd)
                    if os.fork() == 0:
                        if os.fork() == 0:
                            os._exit(0)
                        os._exit(0)
                    os.wait()
                    print('REWROTE PID 1', flush=True)
                while True:
                    open('alive', 'a').write('x')
                    time.sleep(0.05)
                """;
        Path log = dataDir.resolve("pid1.log");
        Process bwrap = sandbox.start(List.of("/usr/bin/python3", "-c", script),
                new Confinement(checkout, List.of(checkout), List.of(), Map.of("PATH", "/usr/bin:/bin")),
                ProcessBuilder.Redirect.PIPE, ProcessBuilder.Redirect.appendTo(log.toFile()),
                ProcessBuilder.Redirect.appendTo(log.toFile()));
        List<ProcessHandle> inside = new ArrayList<>();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(checkout.resolve("alive")) && Files.readString(log).contains("\n"));
            bwrap.descendants().forEach(inside::add);
            assertThat(inside).isNotEmpty();

            bwrap.toHandle().destroyForcibly(); // bubblewrap alone, as when the node dies: no sweep, no cgroup

            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).alias("the job's processes end")
                    .until(() -> inside.stream().noneMatch(ProcessTree::running));
            assertThat(Files.readString(log)).contains("MEM REFUSED").doesNotContain("REWROTE");
        } finally {
            inside.forEach(ProcessHandle::destroyForcibly);
            bwrap.destroyForcibly();
        }
    }

    @Test
    void aLiveJobCannotTurnTheDeleteOfItsCheckoutOntoTheVolunteersFiles() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 swaps the directories");
        Path volunteer = Files.createDirectories(dataDir.resolve("volunteer/keys"));
        Files.writeString(volunteer.resolve("identity.key"), secret);
        Files.writeString(dataDir.resolve("volunteer/notes"), "mine");
        // The node deletes a checkout once its job is dead; a job still alive then (one that outlived
        // its sandbox, as above) raced the delete: each directory the node moved into its trash, then
        // inside the checkout, it swapped for a link to a directory of the volunteer's, which the node
        // listed and emptied with its own rights.
        String script = """
                import os, sys
                target = sys.argv[1]
                for i in range(1000):
                    os.makedirs(f'd{i}/e')
                    for j in range(3):
                        open(f'd{i}/e/f{j}', 'w').write('x')
                print('READY', flush=True)
                n = 0
                while True:
                    for t in [e for e in os.listdir('.') if 'deleting-' in e]:
                        try:
                            for d in os.listdir(t):
                                p = t + '/' + d
                                if not os.path.islink(p):
                                    os.rename(p, t + '/kept' + str(n)); n += 1
                                    os.symlink(target, p)
                        except OSError:
                            pass
                """;
        Path log = dataDir.resolve("swap.log");
        // As the node's own user, as on a volunteer's machine (a node running as root runs jobs as nobody).
        Process job = asTheNodesUser().start(List.of("/usr/bin/python3", "-c", script, dataDir.resolve("volunteer").toString()),
                new Confinement(checkout, List.of(checkout), List.of(), Map.of("PATH", "/usr/bin:/bin")),
                ProcessBuilder.Redirect.PIPE, ProcessBuilder.Redirect.appendTo(log.toFile()),
                ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(log).contains("READY"));

            try {
                JobDirs.deleteTree(checkout);
            } catch (IOException e) {
                // a live job may keep the delete from finishing; what matters is what it deleted
            }

            assertThat(volunteer.resolve("identity.key")).hasContent(secret);
            assertThat(dataDir.resolve("volunteer/notes")).hasContent("mine");
        } finally {
            job.destroyForcibly();
            job.waitFor();
        }
    }

    @Test
    void aLogOfBlankLinesDoesNotHoldTheNodeOnceTheJobHasEnded() throws Exception {
        // The metric's pattern ran each line's leading "\\s*" over every blank line after it and back:
        // 8 MiB of them, well under the log's limit, held the slot's thread for weeks after the job ended.
        String script = "head -c 8388608 /dev/zero | tr '\\0' '\\n'; echo 'num_steps: 3'; echo 'val_bpb: 1.5'";

        JobOutcome outcome = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofMinutes(3),
                () -> run(script, Long.MAX_VALUE));

        assertThat(outcome.status()).isEqualTo(Result.Status.OK);
        assertThat(outcome.metric()).hasValue(1.5);
        assertThat(outcome.steps()).hasValue(3);
    }

    @Test
    void aCrashingJobDumpsNoCoreAndCannotAllowItself() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 crashes");
        // A dump is the process's whole memory written at once: into the checkout, past the budget's
        // next look, or through a pipe core_pattern to a root helper on the host, outside any budget.
        String script = """
                /usr/bin/python3 -c "
                import resource, subprocess
                try:
                    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
                    print('RAISED')
                except (ValueError, OSError) as e:
                    print('REFUSED', e)
                print('LIMIT', resource.getrlimit(resource.RLIMIT_CORE))
                subprocess.run(['/usr/bin/python3', '-c', 'import os; b = bytearray(64 << 20); b[::4096] = bytes(len(b[::4096])); os.abort()'])
                "
                ls
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("REFUSED", "LIMIT (0, 0)").doesNotContain("RAISED");
        try (Stream<Path> left = Files.list(checkout)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("core"));
        }
    }

    @Test
    void aJobCannotTakePid1sDescriptorsToChooseWhatBubblewrapReports() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the calls");
        assumeTrue(SeccompFilter.Arch.host().isPresent(), "no seccomp filter on this architecture");
        // PID 1 (bubblewrap's init, the job's uid) tells bubblewrap the job's exit status through an
        // eventfd; pidfd_getfd handed the job that descriptor, and bubblewrap exited with what the job wrote.
        String script = """
                /usr/bin/python3 -c "
                import ctypes, os
                libc = ctypes.CDLL(None, use_errno=True)
                pidfd = os.pidfd_open(1)
                for fd in range(3, 10):
                    got = libc.syscall(438, pidfd, fd, 0)
                    if got >= 0:
                        print('TOOK', fd, os.readlink('/proc/self/fd/%d' % got))
                        if 'eventfd' in os.readlink('/proc/self/fd/%d' % got):
                            os.write(got, (43).to_bytes(8, 'little'))
                    else:
                        print('REFUSED', fd, ctypes.get_errno())
                "
                sleep 2
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(log()).doesNotContain("TOOK").contains("REFUSED 4 1");
        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(outcome.exitCode()).isZero();
    }

    @Test
    void extendedAttributesTheBudgetDoesNotCountCannotBeSetInsideAndCopyingStillWorks() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 sets the attributes");
        // user.* attributes take disk space (up to a block a file on ext4) that the budget, summing sizes, misses.
        String script = """
                /usr/bin/python3 -c "
                import os, shutil
                open('f', 'w').write('x')
                for name, call in [('setxattr', lambda: os.setxattr('f', 'user.pad', b'a' * 3000)),
                                   ('fsetxattr', lambda: os.setxattr(os.open('f', os.O_RDONLY), 'user.pad', b'a' * 3000)),
                                   ('lsetxattr', lambda: os.setxattr('f', 'user.pad', b'a' * 3000, follow_symlinks=False))]:
                    try:
                        call(); print('SET', name)
                    except OSError as e:
                        print('REFUSED', name, e.errno)
                shutil.copy2('f', 'g'); print('COPIED', open('g').read())
                print('LIST', os.listxattr('f'))
                "
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outside = new JobRunner(new PlainLauncher()).run(new JobSpec(checkout,
                List.of("/bin/sh", "-c", script), Map.of(), JOB_BUDGET, dataDir.resolve("logs/job.log"),
                "val_bpb"), JobProgress.IGNORE);
        assertThat(outside.status()).as(log()).isEqualTo(Result.Status.OK);
        assumeTrue(log().contains("SET setxattr"), "this file system takes no user.* attributes anyway");
        Files.delete(dataDir.resolve("logs/job.log"));
        JobDirs.deleteTree(checkout);
        Files.createDirectory(checkout);

        JobOutcome inside = run(script, Long.MAX_VALUE);

        assertThat(inside.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("REFUSED setxattr 95", "REFUSED fsetxattr 95", "REFUSED lsetxattr 95", "COPIED x",
                "LIST []").doesNotContain("SET ");
    }

    @Test
    void aJobCannotSetAnExtentSizeHintByIoctlAndItsSyncOfTheMachineReturnsAtOnce() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the calls");
        // FS_IOC_FSSETXATTR sets an XFS extent size hint, whose blocks past a file's end its size (what
        // the budget reads) does not show: refused whatever the file system, as a file without that ioctl.
        // sync() and syncfs() flush the whole machine's or file system's dirty pages: answered done.
        Files.writeString(checkout.resolve("hint.py"), """
                import ctypes, fcntl, os
                fd = os.open('f', os.O_CREAT | os.O_RDWR)
                attr = bytearray(28)
                try:
                    fcntl.ioctl(fd, 0x801c581f, attr); print('GOT')
                except OSError as e:
                    print('NO GET', e.errno)
                attr[4:8] = (1 << 20).to_bytes(4, 'little')
                try:
                    fcntl.ioctl(fd, 0x401c5820, bytes(attr)); print('SET')
                except OSError as e:
                    print('NO SET', e.errno)
                libc = ctypes.CDLL(None, use_errno=True)
                os.sync(); print('SYNCED')
                print('SYNCFS', libc.syncfs(fd), ctypes.get_errno())
                os.write(fd, b'x'); os.fsync(fd); print('FSYNCED')
                """);
        JobOutcome outcome = run("/usr/bin/python3 hint.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("NO SET " + SeccompFilter.ENOTTY, "SYNCED", "SYNCFS 0 0", "FSYNCED");
    }

    @Test
    void aJobCannotReserveDiskBeyondItsFilesSizesWithFallocate() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the calls");
        assumeTrue(SeccompFilter.Arch.host().isPresent(), "no seccomp filter on this architecture");
        // FALLOC_FL_KEEP_SIZE reserves blocks past the end of a file without changing its size, which
        // is all the budget's walk reads: 64 MiB of disk taken under a budget of 8, and the job went on.
        String script = """
                /usr/bin/python3 -c "
                import ctypes, os
                libc = ctypes.CDLL(None, use_errno=True)
                libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
                fd = os.open('reserved', os.O_RDWR | os.O_CREAT)
                for mode in (1, 3, 0x10, 0x20):
                    if libc.fallocate(fd, mode, 0, 64 << 20) == 0:
                        print('RESERVED', mode, os.fstat(fd).st_size, os.fstat(fd).st_blocks * 512)
                    else:
                        print('REFUSED', mode, ctypes.get_errno())
                os.posix_fallocate(fd, 0, 1 << 20)
                print('PLAIN', os.fstat(fd).st_size)
                "
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, 8L << 20);

        assertThat(log()).contains("REFUSED 1 95", "REFUSED 3 95", "PLAIN 1048576").doesNotContain("RESERVED");
        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
    }

    @Test
    void linkTargetsAndTheSlackOfSmallFilesCountAgainstTheBudget() throws Exception {
        // A symbolic link's target takes a block of its own once past 60 bytes, and a file of one byte
        // takes a block: the budget summed regular files' sizes only, so 4,000 links of 3,000-byte
        // targets and 4,000 one-byte files (32 MiB of disk) passed a budget of 8 MiB as 4 KB.
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the links");
        String script = """
                /usr/bin/python3 -c "
                import os
                for i in range(4000):
                    os.symlink('x' * 3000, 'l%d' % i)
                    open('f%d' % i, 'w').write('x')
                "
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, 8L << 20);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).contains("it wrote more than 8 MiB to its work directory");
    }

    @Test
    void aDirectoryWhoseNameIsNotTextHidesNothingFromTheBudget() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 writes the files");
        // A name is bytes: one that is not UTF-8 came back from the walk's String listing as a name no
        // file has, so 12 MiB under it passed a budget of 8 unseen. A FIFO beside it is not waited on.
        String script = """
                /usr/bin/python3 -c "
                import os, time
                os.mkfifo('fifo')
                os.makedirs(b'\\xff\\xfe/\\xe9')
                with open(b'\\xff\\xfe/\\xe9/big', 'wb') as f:
                    for i in range(12):
                        f.write(b'x' * (1 << 20)); f.flush()
                print('WROTE', flush=True)
                time.sleep(3600)
                "
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, 8L << 20);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).contains("it wrote more than 8 MiB to its work directory");
        JobDirs.deleteTree(checkout);
        assertThat(checkout).doesNotExist();
    }

    @Test
    void aJobCanWriteNothingInProcNeitherPid1sEntriesNorItsOwn() throws Exception {
        // PID 1 (bubblewrap's init) has the job's uid: its oom_score_adj, coredump_filter,
        // clear_refs, sched and autogroup were the job's to write, as were its own (its autogroup's
        // nice, which the node sets to the job's priority). Writes through /proc's links still
        // work: they lead out of /proc, to the checkout.
        String script = """
                for f in /proc/1/oom_score_adj /proc/1/coredump_filter /proc/1/clear_refs /proc/1/sched \
                         /proc/1/autogroup /proc/self/autogroup /proc/self/oom_score_adj /proc/1/comm; do
                    [ -e "$f" ] || continue
                    if echo 1 2>/dev/null > "$f"; then echo "WROTE $f"; else echo "REFUSED $f"; fi
                done
                echo x > /proc/self/cwd/through-proc && echo 'THROUGH /proc/self/cwd'
                ls /proc/self/fd > /dev/null && echo 'LISTED'
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("REFUSED /proc/1/oom_score_adj", "REFUSED /proc/1/clear_refs", "THROUGH /proc/self/cwd",
                "LISTED").doesNotContain("WROTE");
    }

    @Test
    void aJobsSessionGroupHasItsNicenessAndTheJobCannotGiveItBack() throws Exception {
        assumeTrue(AutogroupNice.ownGroupNice().isPresent(), "this kernel groups no tasks by session");
        assumeTrue(SandboxProbe.onPath("setsid").isPresent(), "no setsid here");
        // With autogroups, nice orders tasks within their session's group, and groups share the CPU
        // equally: bubblewrap's new session put every job at nice 19 in a group of nice 0, which took
        // as much CPU as the owner's whole desktop session; and the job could write its group's nice.
        String script = """
                echo "GROUP[$(cat /proc/self/autogroup)]"
                echo 0 2>/dev/null > /proc/self/autogroup && echo 'GAVE IT BACK'
                echo "AFTER[$(cat /proc/self/autogroup)]"
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(atJobPriority, script, Long.MAX_VALUE, Map.of());

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).containsPattern("GROUP\\[/autogroup-\\d+ nice 19]").containsPattern("AFTER\\[/autogroup-\\d+ nice 19]")
                .doesNotContain("GAVE IT BACK");
    }

    @Test
    void aSessionTheJobMakesItselfIsGivenTheJobsNiceness() throws Exception {
        assumeTrue(AutogroupNice.ownGroupNice().isPresent(), "this kernel groups no tasks by session");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 starts a new session");
        // subprocess's start_new_session (torchrun's workers) makes a new autogroup, which the kernel
        // starts at nice 0: one setsid put a nice-19 job level with the owner's whole desktop
        // session. The node gives the new group the job's niceness at its next look. The child
        // makes itself undumpable first (a root node writes its files all the same).
        String script = """
                cat > child.py <<'PY'
                import ctypes, time
                ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
                line = ''
                for i in range(400):
                    line = open('/proc/self/autogroup').read().strip()
                    if line.endswith(' nice 19'):
                        print('KEPT', line, 'after', i * 50, 'ms', flush=True)
                        break
                    time.sleep(0.05)
                else:
                    print('LEFT', line, flush=True)
                PY
                /usr/bin/python3 -c "
                import subprocess, sys
                print('PARENT', open('/proc/self/autogroup').read().strip(), flush=True)
                subprocess.run([sys.executable, 'child.py'], start_new_session=True, check=True)
                "
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(atJobPriority, script, Long.MAX_VALUE, Map.of());

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        System.out.println("setsid probe: " + log().lines().filter(l -> l.startsWith("KEPT") || l.startsWith("LEFT")).toList());
        assertThat(log()).containsPattern("PARENT /autogroup-\\d+ nice 19").contains("KEPT").doesNotContain("LEFT");
    }

    @Test
    void aJobHoldsNoMemoryFileOutsideItsSizedMountsAndFewDescriptors() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the memory files and sockets");
        // Kernel memory no limit but a cgroup counts: a memfd_create file lives on the kernel's own
        // unsized mount (64 MiB written here, and any more), and each descriptor can park a socket's
        // unsent buffers (about 350 KiB a pair, 8 MiB with SO_SNDBUF raised). The JVM raised the
        // descriptor limit to its hard one (20,000 on the machine this was found on; 524,288 on a
        // systemd desktop), which the job inherited. What memfd's users fall back to (POSIX shared
        // memory in /dev/shm) still works.
        Files.writeString(checkout.resolve("probe.py"), """
                import os, socket, resource
                print('NOFILE', resource.getrlimit(resource.RLIMIT_NOFILE), flush=True)
                try:
                    resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20)); print('RAISED', flush=True)
                except (ValueError, OSError):
                    pass
                try:
                    fd = os.memfd_create('probe'); n = 0
                    for i in range(64):
                        n += os.write(fd, b'x' * (1 << 20))
                    print('MEMFD WROTE', n >> 20, 'MiB', flush=True)
                except OSError as e:
                    print('MEMFD REFUSED', e.errno, flush=True)
                socks, parked = [], 0
                try:
                    while True:
                        a, b = socket.socketpair(); socks += [a, b]; a.setblocking(False)
                        if parked < (64 << 20):
                            try:
                                while True:
                                    parked += a.send(b'x' * 65536)
                            except BlockingIOError:
                                pass
                except OSError as e:
                    print('SOCKETS', len(socks), 'PARKED', parked >> 20, 'MiB', flush=True)
                for s in socks:
                    s.close()
                from multiprocessing import shared_memory
                m = shared_memory.SharedMemory(create=True, size=1 << 20); m.buf[0] = 1; m.close(); m.unlink()
                print('SHM OK', flush=True)
                """);
        JobOutcome outcome = run("/usr/bin/python3 probe.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("NOFILE (" + BwrapCommand.OPEN_FILES + ", " + BwrapCommand.OPEN_FILES + ")",
                "MEMFD REFUSED 38", "SHM OK").doesNotContain("RAISED", "MEMFD WROTE");
        System.out.println("descriptor probe: " + log().lines().filter(l -> l.matches("(NOFILE|MEMFD|SOCKETS).*")).toList());
        Matcher sockets = Pattern.compile("SOCKETS (\\d+)").matcher(log());
        assertThat(sockets.find()).as(log()).isTrue();
        assertThat(Integer.parseInt(sockets.group(1))).isLessThanOrEqualTo(BwrapCommand.OPEN_FILES);
    }

    @Test
    void aPyTorchDataLoaderWithWorkersStillRunsUnderTheDescriptorLimit() throws Exception {
        assumeTrue(new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start().waitFor() == 0,
                "no PyTorch for /usr/bin/python3");
        // Workers hand batches back through /dev/shm files passed as descriptors (PyTorch's
        // file_descriptor strategy): 4 workers, 8 batches each in flight, 9 tensors a batch.
        Files.writeString(checkout.resolve("load.py"), """
                import torch, resource
                from torch.utils.data import DataLoader, Dataset
                torch.set_num_threads(1)
                class D(Dataset):
                    def __len__(self): return 512
                    def __getitem__(self, i): return torch.full((64, 64), float(i)), [torch.tensor(i) for _ in range(8)]
                if __name__ == '__main__':
                    total = 0.0
                    for x, ys in DataLoader(D(), batch_size=4, num_workers=4, prefetch_factor=8):
                        total += float(x.sum()) + sum(float(y.sum()) for y in ys)
                    print('STRATEGY', torch.multiprocessing.get_sharing_strategy(), 'LOADED', total)
                """);
        // room in memory for five processes that each import torch (their sum came near the class's
        // 256 MiB and was stopped there once): what this case is about is the descriptor limit
        SandboxPlan p = sandbox.plan();
        SandboxLimits roomy = new SandboxLimits(1L << 30, p.limits().processes(), p.limits().tmpBytes(),
                p.limits().pendingSignals());
        BwrapLauncher withRoom = new BwrapLauncher(new SandboxPlan(p.bwrap(), p.prlimit(), p.setpriv(), p.jobUid(), roomy,
                p.memory(), p.gpus()), cgroup, HostView.real()).atCallersPriority();
        JobOutcome outcome = new JobRunner(withRoom).run(new JobSpec(checkout, List.of("/bin/sh", "-c",
                "/usr/bin/python3 load.py && echo 'val_bpb: 1.0'"), Map.of(), TORCH_JOB_BUDGET,
                dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("STRATEGY file_descriptor LOADED 536868864.0");
    }

    @Test
    void filesPastTheBoundInTmpAndDevShmStopTheJobButTheCheckoutMountedUnderTmpIsNotCounted() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the files");
        // bubblewrap sizes /tmp and /dev/shm but sets no nr_inodes: an empty file there takes about
        // a kilobyte of kernel memory that the size does not count (100,000 in a 16 MiB /tmp took
        // 99 MiB of slab), and no limit but a cgroup does. The checkout, bound under the system's
        // /tmp here, is the work directory's budget's to count, not this one's.
        int half = MemoryFiles.MAX_ENTRIES / 2 + 1000;
        String make = """
                /usr/bin/python3 -c "
                import os, sys, time
                for d in sys.argv[1:]:
                    for i in range(%d):
                        open(os.path.join(d, 'f%%d' %% i), 'w').close()
                print('MADE', flush=True)
                time.sleep(3600)
                " %s
                echo 'val_bpb: 1.0'
                """;
        JobOutcome inCheckout = run(make.formatted(half, "\"$PWD\" \"$PWD\"/sub").replace("time.sleep(3600)", "")
                .replace("import os, sys, time", "import os, sys, time\nos.mkdir('sub')"), Long.MAX_VALUE);
        assertThat(inCheckout.status()).as(log()).isEqualTo(Result.Status.OK);

        JobDirs.deleteTree(checkout);
        Files.createDirectory(checkout);
        JobOutcome inMemory = run(make.formatted(half, "/tmp /dev/shm"), Long.MAX_VALUE);

        assertThat(inMemory.status()).as(log()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).contains("it made more than " + MemoryFiles.MAX_ENTRIES + " files in its /tmp and /dev/shm");
    }

    @Test
    void aSlotsJobIsStoppedPastItsShareOfTheWorkDirectorysFiles() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the files");
        // Each slot's job had all 200,000 files: a node of 16 slots let its jobs take 3.2 million inodes of the
        // volunteer's file system. One job of ten slots' now has a tenth (at least 20,000). It waits 20 s after
        // making its files and then reports, so a job left to run ends OK.
        int files = WorkDirBudget.MIN_ENTRIES + 5_000;
        String script = """
                /usr/bin/python3 -c "
                import os, time
                for i in range(%d):
                    open('f%%d' %% i, 'w').close()
                print('MADE', flush=True)
                time.sleep(20)
                "
                echo 'val_bpb: 1.0'
                """.formatted(files);
        JobRunner oneOfTen = new JobRunner(sandbox, JobRunner.DEFAULT_MAX_LOG_BYTES, Long.MAX_VALUE).shared(10);

        JobOutcome outcome = oneOfTen.run(new JobSpec(checkout, List.of("/bin/sh", "-c", script, "job-" + tag), Map.of(),
                JOB_BUDGET, dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).contains("it made more than " + WorkDirBudget.MIN_ENTRIES + " files in its work directory");
    }

    @Test
    void aJobCannotRaiseItsIoPriority() throws Exception {
        assumeTrue(SandboxProbe.onPath("ionice").isPresent(), "no ionice here");
        // An unprivileged process may move itself from the idle I/O class (a CPU job's) to
        // best-effort 0, level with the owner's programs: no capability is asked for that class.
        String script = """
                echo "IO[$(ionice -p $$)]"
                ionice -c 2 -n 0 -p $$ 2>/dev/null && echo 'RAISED'
                echo "AFTER[$(ionice -p $$)]"
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(atJobPriority, script, Long.MAX_VALUE, Map.of());

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("IO[idle]", "AFTER[idle]").doesNotContain("RAISED");
    }

    @Test
    void aJobCannotParkMemoryInSystemVIpcObjects() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the calls");
        // A System V shared memory segment keeps its pages once detached, counted by no limit but a
        // cgroup: 256 MiB parked under an RLIMIT_AS of 512 MiB, and the job's IPC namespace has the
        // kernel's default limits (no bound on shared memory; 32,000 message queues).
        Files.writeString(checkout.resolve("sysv.py"), """
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                libc.shmat.restype = ctypes.c_void_p
                parked = 0
                for i in range(6):
                    sid = libc.shmget(0, 64 << 20, 0o1600)
                    if sid < 0:
                        print('SHMGET REFUSED', ctypes.get_errno(), flush=True)
                        break
                    p = libc.shmat(sid, None, 0)
                    ctypes.memset(p, 1, 64 << 20)
                    libc.shmdt(ctypes.c_void_p(p))
                    parked += 64
                print('PARKED', parked, 'MiB', flush=True)
                for name in ('msgget', 'semget'):
                    r = getattr(libc, name)(0, 1, 0o1600) if name == 'semget' else libc.msgget(0, 0o1600)
                    print(name.upper(), 'REFUSED' if r < 0 else 'MADE', ctypes.get_errno() if r < 0 else '', flush=True)
                """);
        JobOutcome outcome = run("/usr/bin/python3 sysv.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("SHMGET REFUSED 38", "PARKED 0 MiB", "MSGGET REFUSED 38", "SEMGET REFUSED 38");
    }

    @Test
    void aSetUserIdProgramTheJobLeavesInItsCheckoutIsOutOfOtherUsersReach() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "the test runs another user's program");
        Optional<Path> setpriv = SandboxProbe.onPath("setpriv");
        assumeTrue(setpriv.isPresent() && Files.isExecutable(Path.of("/usr/bin/python3")), "setpriv and python3");
        // Bind mounts inside are nosuid, the host's view of the checkout is not: a job copied python
        // there with the set-user-ID bit, and any local user who found the path (the job directory's
        // name is in /tmp's listing, the checkout is named by its slot) ran it as the job's uid,
        // which is the node's own, with its key, when the node does not run as root. The filter now
        // refuses the bit (aJobCannotMakeSetUserIdNorSetGroupIdFiles); the job directory's mode still
        // keeps other users from the checkout's programs.
        String script = """
                cp "$(readlink -f /usr/bin/python3)" ./py && chmod 755 . py && echo PLANTED
                chmod 4755 py 2>/dev/null && echo 'SET-USER-ID'
                echo 'val_bpb: 1.0'
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE);
        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("PLANTED").doesNotContain("SET-USER-ID");

        // Through a shell: setpriv itself still holds root's capabilities when it looks the program up.
        Process other = new ProcessBuilder(setpriv.get().toString(), "--reuid=1234", "--regid=1234", "--clear-groups",
                "/bin/sh", "-c", "exec \"$0\" -c 'import os; print(\"EUID\", os.geteuid())'", checkout.resolve("py").toString())
                .redirectErrorStream(true).start();
        String said = new String(other.getInputStream().readAllBytes());
        other.waitFor();

        assertThat(said).doesNotContain("EUID").contains("Permission denied");
    }

    @Test
    void noDescriptorOfTheJobIsATerminalToTypeInto() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the ioctls");
        // TIOCSTI pushes characters into a terminal's input, as if typed, and TIOCLINUX reaches the
        // console: a job given the node's terminal, or able to open one, could type commands into
        // the volunteer's shell. Its descriptors are pipes, it has no controlling terminal, and it can
        // make no pseudo-terminal (aJobCannotTakeTheMachinesPseudoTerminalsNorItsUsersInotifyInstances).
        Files.writeString(checkout.resolve("tty.py"), """
                import fcntl, os, termios
                for name in ('stdin', 'stdout', 'stderr', '/dev/tty', '/dev/console', '/dev/tty0'):
                    try:
                        fd = {'stdin': 0, 'stdout': 1, 'stderr': 2}.get(name)
                        if fd is None:
                            fd = os.open(name, os.O_RDWR | os.O_NOCTTY)
                        fcntl.ioctl(fd, termios.TIOCSTI, b'x')
                        print('TYPED INTO', name, flush=True)
                    except OSError as e:
                        print('NO TERMINAL', name, e.errno, flush=True)
                """);
        JobOutcome outcome = run("/usr/bin/python3 tty.py < /dev/null && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("NO TERMINAL stdout", "NO TERMINAL /dev/tty").doesNotContain("TYPED INTO");
    }

    @Test
    void filesTheJobDeletedButHoldsOpenCountAgainstItsBudget() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 holds the files");
        // A file deleted while open (or made O_TMPFILE) has no name for the walk to find and takes
        // the disk until its last descriptor closes: 48 MiB passed a budget of 8 MiB unseen.
        for (String make : List.of("fd = os.open('held', os.O_RDWR | os.O_CREAT); os.unlink('held')",
                "fd = os.open('.', os.O_RDWR | os.O_TMPFILE)")) {
            String script = """
                    /usr/bin/python3 -c "
                    import os, time
                    %s
                    for i in range(48):
                        os.write(fd, b'x' * (1 << 20))
                    os.fsync(fd)
                    print('HELD', flush=True)
                    time.sleep(3600)
                    "
                    echo 'val_bpb: 1.0'
                    """.formatted(make);
            JobOutcome outcome = run(script, 8L << 20);

            assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.CRASH);
            // The node looks once a second: on a loaded machine it may stop the job before it says HELD.
            assertThat(log()).as(make).contains("it wrote more than 8 MiB to its work directory",
                    "MiB of it in files it deleted and holds open");
        }
    }

    @Test
    void anAbstractUnixSocketOfTheHostIsOutOfReach() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 listens and connects");
        // Abstract unix sockets have no file to hide: they belong to a network namespace, and a
        // desktop's (X11's @/tmp/.X11-unix, D-Bus's, systemd's) are in the host's.
        String name = "rhizome-probe-" + tag;
        Process listener = new ProcessBuilder("/usr/bin/python3", "-c", """
                import socket, sys
                s = socket.socket(socket.AF_UNIX); s.bind('\\0' + sys.argv[1]); s.listen()
                print('LISTENING', flush=True)
                c, _ = s.accept(); print('ACCEPTED', flush=True)
                """, name).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream()));
            assertThat(out.readLine()).isEqualTo("LISTENING");
            String script = """
                    /usr/bin/python3 -c "
                    import socket, sys
                    u = socket.socket(socket.AF_UNIX)
                    try:
                        u.connect('\\0' + sys.argv[1]); print('CONNECTED')
                    except OSError as e:
                        print('REFUSED', e.errno)
                    " "$0"
                    echo 'val_bpb: 1.0'
                    """;
            JobOutcome outcome = new JobRunner(sandbox).run(new JobSpec(checkout, List.of("/bin/sh", "-c", script, name),
                    Map.of(), JOB_BUDGET, dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);

            assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
            assertThat(log()).contains("REFUSED 111").doesNotContain("CONNECTED");
            assertThat(listener.isAlive()).as("nothing was accepted").isTrue();
        } finally {
            listener.destroyForcibly();
        }
    }

    @Test
    void signalsToPid1AndItsDescriptorsChangeNothingOfWhatTheNodeIsTold() throws Exception {
        // PID 1 (the job's own command since round 19; bubblewrap's init before) handles none of
        // these signals, so the kernel drops every one sent from inside its namespace, SIGKILL and
        // SIGSTOP included; its descriptors are listed but not opened. Its state is read while it
        // runs the script: running or sleeping (in its wait for grep) as the scheduler has it, never
        // stopped.
        String script = """
                for s in STOP TERM KILL SEGV HUP USR1 CHLD; do kill -$s 1 2>/dev/null; done
                for fd in /proc/1/fd/*; do
                    if sh -c 'exec 3<>"$1"' sh "$fd" 2>/dev/null; then echo "OPENED $fd $(readlink "$fd")"; fi
                done
                sleep 1
                grep '^State' /proc/1/status
                echo 'val_bpb: 1.0'
                exit 3
                """;
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(outcome.exitCode()).as(log()).isEqualTo(3); // the job's own status, not one a signal made
        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(log()).containsPattern("State:\t[RS] ").doesNotContain("T (stopped)", "eventfd");
    }

    @Test
    void aJobGetsNoRealTimePriorityNorALowerNiceWhateverTheNodesLimitsAllow() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chrt")), "chrt asks for real-time scheduling");
        Optional<Path> prlimit = SandboxProbe.onPath("prlimit");
        assumeTrue(prlimit.isPresent(), "prlimit sets the node's limits");
        // A volunteer's own limits may allow real-time priority and a negative nice (audio groups:
        // rtprio 95, nice -19, in limits.d), and a job inherited them: SCHED_FIFO at 10 starves
        // every normal task of the core it spins on.
        String me = Long.toString(ProcessHandle.current().pid());
        String before = new String(new ProcessBuilder(prlimit.get().toString(), "--pid", me, "--rtprio", "--nice",
                "--raw", "--noheadings", "--output", "SOFT,HARD").start().getInputStream().readAllBytes()).strip();
        Process raise = new ProcessBuilder(prlimit.get().toString(), "--pid", me, "--rtprio=50", "--nice=30").start();
        assumeTrue(raise.waitFor() == 0, "this node may not raise its own limits");
        try {
            String script = """
                    chrt -f 10 true 2>/dev/null && echo 'REAL-TIME'
                    renice -n -5 -p $$ >/dev/null 2>&1 && echo 'RAISED'
                    echo 'val_bpb: 1.0'
                    """;
            JobOutcome outcome = run(atJobPriority, script, Long.MAX_VALUE, Map.of());

            assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
            assertThat(log()).doesNotContain("REAL-TIME", "RAISED");
        } finally {
            String[] rows = before.split("\\s+");
            new ProcessBuilder(prlimit.get().toString(), "--pid", me, "--rtprio=" + rows[0] + ":" + rows[1],
                    "--nice=" + rows[2] + ":" + rows[3]).start().waitFor();
        }
    }

    @Test
    void aJobCannotTakeTheMachinesAsynchronousIoContexts() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the call");
        // Linux AIO contexts are counted against one machine-wide limit (fs.aio-max-nr, 65,536 by
        // default), not per user or namespace: one io_setup(65536) in a job took all of them, and
        // every io_setup of the volunteer's own programs (databases, QEMU) failed with EAGAIN until
        // the job ended.
        Files.writeString(checkout.resolve("aio.py"), """
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                nr = {'x86_64': 206, 'aarch64': 0}[__import__('os').uname().machine]
                ctx = ctypes.c_ulong(0)
                if libc.syscall(ctypes.c_long(nr), ctypes.c_long(65536), ctypes.byref(ctx)) == 0:
                    print('TOOK', open('/proc/sys/fs/aio-nr').read().strip(), 'OF', open('/proc/sys/fs/aio-max-nr').read().strip())
                else:
                    print('AIO REFUSED', ctypes.get_errno())
                """);
        JobOutcome outcome = run("/usr/bin/python3 aio.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("AIO REFUSED " + SeccompFilter.ENOSYS).doesNotContain("TOOK");
    }

    @Test
    void aJobOpensNoSocketButUnixInternetAndNetlinkOnes() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the sockets");
        // The network namespace confines internet, unix and netlink sockets only. A virtual machine's
        // vsock (AF_VSOCK) reaches its host's services past it, Bluetooth's belong to the host's
        // namespace, and the rest (AF_ALG, TIPC, RDS, ...) are kernel code with a history of local
        // exploits that no training job needs: a job made a vsock socket on the machine this was found on.
        Files.writeString(checkout.resolve("sockets.py"), """
                import socket
                for family, name in [(1, 'unix'), (2, 'inet'), (10, 'inet6'), (16, 'netlink'), (40, 'vsock'),
                                     (31, 'bluetooth'), (38, 'alg'), (30, 'tipc'), (21, 'rds'), (15, 'key'), (29, 'can')]:
                    kind = socket.SOCK_DGRAM if name in ('netlink', 'key') else socket.SOCK_STREAM
                    try:
                        socket.socket(family, kind).close(); print('MADE', name)
                    except OSError as e:
                        print('NO', name, e.errno)
                try:
                    socket.socketpair(40, socket.SOCK_STREAM); print('PAIR vsock')
                except OSError as e:
                    print('NO PAIR vsock', e.errno)
                socket.socketpair()[0].close(); print('PAIR unix')
                # Internet sockets of TCP, UDP and ping only: UDP-Lite and MPTCP are built into kernels
                # (both opened here before), SCTP, DCCP and L2TP modules a distribution loads for anyone.
                for family, kind, protocol, name in [(2, 1, 6, 'tcp'), (2, 2, 17, 'udp'), (10, 1, 0, 'tcp6'),
                                                     (2, 2, 136, 'udplite'), (10, 2, 136, 'udplite6'),
                                                     (2, 1, 262, 'mptcp'), (2, 1, 132, 'sctp'), (2, 2, 115, 'l2tp'),
                                                     # protocol 0 is the type's first: SCTP's for SOCK_SEQPACKET, DCCP's for SOCK_DCCP
                                                     (2, 2, 0, 'dgram'), (2, 5, 0, 'seqpacket'), (10, 5, 0, 'seqpacket6'),
                                                     (2, 6, 0, 'dccp')]:
                    try:
                        socket.socket(family, kind, protocol).close(); print('INET', name)
                    except OSError as e:
                        print('NO INET', name, e.errno)
                # Netlink of routing only: each other protocol is kernel code of its own, and one not yet
                # loaded made the kernel load its module. These opened in a probe before.
                for protocol, name in [(0, 'route'), (4, 'sock_diag'), (6, 'xfrm'), (9, 'audit'), (12, 'netfilter'),
                                       (15, 'uevent'), (16, 'generic'), (20, 'rdma'), (21, 'crypto')]:
                    try:
                        socket.socket(16, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol).close(); print('NETLINK', name)
                    except OSError as e:
                        print('NO NETLINK', name, e.errno)
                try:
                    socket.socketpair(16, socket.SOCK_DGRAM, 12); print('PAIR netfilter')
                except OSError as e:
                    print('NO PAIR netfilter', e.errno)
                # What routing's netlink is kept for: the interfaces, and name lookups that ask which
                # address families are configured (glibc reads them through it for AI_ADDRCONFIG).
                print('INTERFACES', ','.join(name for _, name in socket.if_nameindex()))
                print('LOOKED UP', sorted({a[4][0] for a in socket.getaddrinfo('127.0.0.1', 80, flags=socket.AI_ADDRCONFIG)}))
                print('LOOKED UP', sorted({a[4][0] for a in socket.getaddrinfo(None, 80, flags=socket.AI_ADDRCONFIG)}))
                # By name, from the job's own /etc/hosts: nothing resolved inside before.
                print('LOOKED UP localhost', sorted({a[4][0] for a in socket.getaddrinfo('localhost', 80, socket.AF_INET)}))
                print('LOOKED UP itself', socket.gethostname(), socket.gethostbyname(socket.gethostname()))
                server = socket.create_server(('localhost', 0)); print('LISTENED'); server.close()
                try:
                    import torch
                    print('IMPORTED torch', float(torch.ones(2).sum()))
                except ModuleNotFoundError:
                    print('NO torch here')
                """);
        // PyTorch's import takes seconds, many on a loaded machine.
        JobOutcome outcome = new JobRunner(sandbox).run(new JobSpec(checkout, List.of("/bin/sh", "-c",
                "/usr/bin/python3 sockets.py && echo 'val_bpb: 1.0'"), Map.of(), TORCH_JOB_BUDGET,
                dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("MADE unix", "MADE inet", "MADE netlink", "PAIR unix", "NO vsock 97", "NO PAIR vsock 97",
                "NO bluetooth 97", "NO alg 97", "NO tipc 97", "NO rds 97", "NO key 97", "NO can 97");
        int noProtocol = SeccompFilter.EPROTONOSUPPORT;
        assertThat(log()).contains("NETLINK route", "NO NETLINK sock_diag " + noProtocol, "NO NETLINK xfrm " + noProtocol,
                "NO NETLINK audit " + noProtocol, "NO NETLINK netfilter " + noProtocol, "NO NETLINK uevent " + noProtocol,
                "NO NETLINK generic " + noProtocol, "NO NETLINK rdma " + noProtocol, "NO NETLINK crypto " + noProtocol,
                "NO PAIR netfilter " + noProtocol, "INTERFACES lo", "LOOKED UP ['127.0.0.1']");
        assertThat(log()).contains("INET tcp\n", "INET udp\n", "INET tcp6\n", "NO INET udplite " + noProtocol,
                "NO INET udplite6 " + noProtocol, "NO INET mptcp " + noProtocol, "NO INET sctp " + noProtocol,
                "NO INET l2tp " + noProtocol, "INET dgram\n", "NO INET seqpacket " + noProtocol,
                "NO INET seqpacket6 " + noProtocol, "NO INET dccp " + noProtocol);
        assertThat(log()).contains("LOOKED UP ['127.0.0.1', '::1']", "LOOKED UP localhost ['127.0.0.1']",
                "LOOKED UP itself rhizome-job 127.0.0.1", "LISTENED");
        boolean torchHere = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start().waitFor() == 0;
        assertThat(log()).contains(torchHere ? "IMPORTED torch 2.0" : "NO torch here");
    }

    @Test
    void aJobCannotMakeSetUserIdNorSetGroupIdFiles() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the calls");
        // A set-user-ID file of the job's uid in its checkout runs as that uid for whoever reaches it
        // on the host (the sandbox's nosuid mounts are the job's view only): under a root node, any
        // process of group nobody's passes the job directory's 0710. No mode with either bit is
        // allowed, whichever call sets it; openat2, whose mode the filter cannot read, is absent.
        Files.writeString(checkout.resolve("modes.py"), """
                import ctypes, os, stat
                libc = ctypes.CDLL(None, use_errno=True)
                def tried(name, make):
                    try:
                        make()
                    except OSError as e:
                        print('REFUSED', name, e.errno)
                    path = name
                    if os.path.exists(path) and os.stat(path).st_mode & (stat.S_ISUID | stat.S_ISGID):
                        print('SPECIAL', name, oct(os.stat(path).st_mode))
                open('a', 'w').close(); open('b', 'w').close(); open('c', 'w').close(); os.mkdir('d')
                tried('a', lambda: os.chmod('a', 0o4755))
                tried('b', lambda: os.fchmod(os.open('b', os.O_RDONLY), 0o2755))
                tried('c', lambda: os.chmod('c', 0o6755, follow_symlinks=True))
                tried('d', lambda: os.chmod('d', 0o2775))
                tried('e', lambda: os.close(os.open('e', os.O_CREAT | os.O_WRONLY, 0o4755)))
                tried('f', lambda: os.mknod('f', stat.S_IFREG | 0o4755))
                class How(ctypes.Structure):
                    _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64), ('resolve', ctypes.c_uint64)]
                how = How(os.O_CREAT | os.O_WRONLY, 0o4755, 0)
                fd = libc.syscall(ctypes.c_long(437), ctypes.c_long(-100), ctypes.c_char_p(b'g'), ctypes.byref(how), ctypes.c_long(24))
                if fd < 0:
                    print('REFUSED g', ctypes.get_errno())
                elif os.stat('g').st_mode & stat.S_ISUID:
                    print('SPECIAL g')
                os.chmod('a', 0o755); os.close(os.open('h', os.O_CREAT | os.O_WRONLY, 0o644))
                print('PLAIN MODES', oct(os.stat('a').st_mode & 0o7777), oct(os.stat('h').st_mode & 0o7777))
                """);
        JobOutcome outcome = run("/usr/bin/python3 modes.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).doesNotContain("SPECIAL").contains("REFUSED a 1", "REFUSED b 1", "REFUSED c 1", "REFUSED d 1",
                "REFUSED e 1", "REFUSED f 1", "REFUSED g 38", "PLAIN MODES 0o755 0o644");
    }

    @Test
    void aJobCannotTakeTheMachinesPseudoTerminalsNorItsUsersInotifyInstances() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the calls");
        // Two counts a job shared with the host. Pseudo-terminals are counted for the whole machine
        // (kernel.pty.nr, against kernel.pty.max less the reserve of the host's own /dev/pts): a job
        // opened the 3,071 left to every container and sandbox of the machine, each with kernel
        // buffers no limit counts. inotify instances are counted for the job's uid on the host (128
        // by default): a job took all of them, and every file watcher of the node's user (a
        // desktop's file manager, an editor) failed while it ran.
        Files.writeString(checkout.resolve("counts.py"), """
                import ctypes, os
                libc = ctypes.CDLL(None, use_errno=True)
                try:
                    ptys = [os.open('/dev/ptmx', os.O_RDWR | os.O_NOCTTY) for i in range(8)]
                    print('PTYS', len(ptys), 'OF THE MACHINE', open('/proc/sys/kernel/pty/nr').read().strip())
                except OSError as e:
                    print('NO PTY', e.errno)
                try:
                    os.openpty(); print('OPENPTY')
                except OSError as e:
                    print('NO OPENPTY', e.errno)
                made = [libc.inotify_init1(0) for i in range(8)]
                print('INOTIFY', sum(1 for fd in made if fd >= 0), 'ERRNO', ctypes.get_errno())
                """);
        JobOutcome outcome = run("/usr/bin/python3 counts.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("NO PTY 2", "NO OPENPTY 2", "INOTIFY 0 ERRNO " + SeccompFilter.ENOSYS)
                .doesNotContain("PTYS").doesNotContainPattern("(?m)^OPENPTY$");
    }

    @Test
    void epollWatchesPastTheBoundStopTheJob() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 makes the watches");
        // Counted for the job's uid on the whole machine (fs.epoll.max_user_watches): two processes
        // of a job took all 5.49 million, about a gigabyte of kernel memory RLIMIT_AS does not see,
        // and no other process of that uid could watch a descriptor until the job ended.
        String script = """
                /usr/bin/python3 -c "
                import os, select, time
                targets = [fd for i in range(100) for fd in os.pipe()]
                held = []
                for i in range(%d):
                    e = select.epoll(); held.append(e)
                    for t in targets:
                        e.register(t, select.EPOLLIN)
                print('WATCHING', len(held) * len(targets), flush=True)
                time.sleep(3600)
                "
                echo 'val_bpb: 1.0'
                """.formatted(HeldDescriptors.MAX_WATCHES / 200 + 50);
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.CRASH);
        // It may be stopped before it says WATCHING: the node looks once a second while it adds the last.
        assertThat(log()).contains("it held more than " + HeldDescriptors.MAX_WATCHES + " epoll watches");
    }

    @Test
    void aJobGetsNoHugePagesOfTheHostsPool() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 maps the memory");
        // The hugetlb pool (vm.nr_hugepages, and overcommitted pages past it) is the host's, counted by
        // no rlimit nor the job's memory.max. The filter answers as a host without huge pages: ENOMEM.
        // The second size is one the kernel has not (2^63 bytes): it answers EINVAL, the filter first.
        Files.writeString(checkout.resolve("huge.py"), """
                import ctypes, mmap
                libc = ctypes.CDLL(None, use_errno=True)
                libc.mmap.restype = ctypes.c_void_p
                libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
                PRIVATE_ANON = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                for name, flags in [('PLAIN', PRIVATE_ANON), ('HUGE', PRIVATE_ANON | 0x40000),
                                    ('HUGE_BADSIZE', PRIVATE_ANON | 0x40000 | (63 << 26))]:
                    ctypes.set_errno(0)
                    at = libc.mmap(None, 2 << 20, 3, flags, -1, 0)
                    print(name, 'MAPPED' if at not in (None, ctypes.c_void_p(-1).value) else 'ERRNO %d' % ctypes.get_errno())
                print('POOL', open('/proc/meminfo').read().split('HugePages_Total:')[1].split()[0])
                """);
        JobOutcome outcome = run("/usr/bin/python3 huge.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("PLAIN MAPPED", "HUGE ERRNO " + SeccompFilter.ENOMEM,
                "HUGE_BADSIZE ERRNO " + SeccompFilter.ENOMEM);
    }

    @Test
    void aJobLocksNoMoreThanItsSmallShareOfMemory() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 locks the memory");
        // Locked pages cannot be reclaimed nor swapped: the node's own RLIMIT_MEMLOCK (a desktop's for
        // audio, a server's unlimited) was the job's.
        Files.writeString(checkout.resolve("lock.py"), """
                import ctypes, mmap, resource
                libc = ctypes.CDLL(None, use_errno=True)
                print('LIMIT', resource.getrlimit(resource.RLIMIT_MEMLOCK))
                try:
                    resource.setrlimit(resource.RLIMIT_MEMLOCK, (64 << 20, 64 << 20)); print('RAISED')
                except (ValueError, OSError):
                    print('NOT RAISED')
                for mib in (1, 16):
                    m = mmap.mmap(-1, mib << 20)
                    at = ctypes.addressof(ctypes.c_char.from_buffer(m))
                    ctypes.set_errno(0)
                    print('LOCK', mib, 'OK' if libc.mlock(ctypes.c_void_p(at), ctypes.c_size_t(mib << 20)) == 0 else 'ERRNO %d' % ctypes.get_errno())
                ctypes.set_errno(0)
                print('LOCKALL', 'OK' if libc.mlockall(3) == 0 else 'ERRNO %d' % ctypes.get_errno())
                libc.mmap.restype = ctypes.c_void_p
                libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
                ctypes.set_errno(0)
                at = libc.mmap(None, 16 << 20, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x2000, -1, 0)  # MAP_LOCKED
                print('MAPLOCKED', 'OK' if at not in (None, ctypes.c_void_p(-1).value) else 'ERRNO %d' % ctypes.get_errno())
                """);
        JobOutcome outcome = run("/usr/bin/python3 lock.py && echo 'val_bpb: 1.0'", Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).contains("LIMIT (" + BwrapCommand.LOCKED_MEMORY + ", " + BwrapCommand.LOCKED_MEMORY + ")",
                "NOT RAISED", "LOCK 1 OK", "LOCK 16 ERRNO 12", "LOCKALL ERRNO 12", "MAPLOCKED ERRNO 11");
    }

    /** The sandbox, but with jobs of the node's own uid, as when the node does not run as root. */
    private static BwrapLauncher asTheNodesUser() {
        SandboxPlan p = sandbox.plan();
        return p.jobUid().isEmpty() ? sandbox : new BwrapLauncher(new SandboxPlan(p.bwrap(), p.prlimit(), p.setpriv(),
                OptionalInt.empty(), p.limits(), p.memory(), p.gpus()), cgroup, HostView.real()).atCallersPriority();
    }

    private JobOutcome run(String script, long maxWorkBytes) throws IOException, InterruptedException {
        return run(script, maxWorkBytes, Map.of());
    }

    private JobOutcome run(String script, long maxWorkBytes, Map<String, String> env) throws IOException, InterruptedException {
        return run(sandbox, script, maxWorkBytes, env);
    }

    private JobOutcome run(BwrapLauncher launcher, String script, long maxWorkBytes, Map<String, String> env)
            throws IOException, InterruptedException {
        return new JobRunner(launcher, JobRunner.DEFAULT_MAX_LOG_BYTES, maxWorkBytes).run(new JobSpec(checkout,
                List.of("/bin/sh", "-c", script, "job-" + tag), env, JOB_BUDGET,
                dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);
    }

    private String log() throws IOException {
        return Files.readString(dataDir.resolve("logs/job.log"));
    }
}
