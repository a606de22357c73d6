package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
    private static final SandboxLimits SMALL = new SandboxLimits(256L << 20, 64, 16L << 20);
    private static BwrapLauncher sandbox;
    private static java.util.Optional<CgroupV2> cgroup;

    @TempDir
    Path dataDir;

    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final String secret = "SECRET-" + UUID.randomUUID();
    private Path jobs;
    private Path checkout;

    @BeforeAll
    static void buildSandbox() {
        CgroupV2.Detection detected = CgroupV2.detect();
        cgroup = detected.cgroup();
        SandboxReport report = SandboxProbe.probe(HostView.real(), detected, SMALL);
        assumeTrue(report.ok(), () -> "this machine cannot sandbox jobs:\n" + report.whyNot());
        sandbox = new BwrapLauncher(report.plan().get(), cgroup, HostView.real());
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
    void theResultFileIsReadOnlyIfTheHarnessLeftARegularFileThere() throws Exception {
        // The harness runs inside; the node reads its result outside, with the node's rights.
        Path key = Files.writeString(dataDir.resolve("identity.key"), "val_bpb: 0.25\nerror: " + secret + "\n");
        int tried = 0;
        for (String trap : List.of("ln -s '" + key + "' \"$RHIZOME_RESULT_FILE\"",
                "ln '" + key + "' \"$RHIZOME_RESULT_FILE\" || ln -s '" + key + "' \"$RHIZOME_RESULT_FILE\"",
                "mkfifo \"$RHIZOME_RESULT_FILE\"", "mkdir \"$RHIZOME_RESULT_FILE\"")) {
            Path harnessDir = Files.createDirectories(jobs.resolve("harness"));
            Path resultDir = jobs.resolve("result-" + tried++);
            HarnessedSpec spec = new HarnessedSpec(checkout, harnessDir, resultDir, List.of(),
                    List.of("/bin/sh", "-c", "true"), List.of("/bin/sh", "-c", "cat >/dev/null"),
                    List.of("/bin/sh", "-c", trap), Map.of(), Duration.ofSeconds(60), dataDir.resolve("h.log"), "val_bpb");

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
        Files.setPosixFilePermissions(checkout.resolve("a/b"), java.util.Set.of());

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
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

        // A temp cleaner removes it; someone plants their own program under the name it had.
        JobDirs.deleteTree(dir);
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
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
        List<String> hostUsers = new java.util.ArrayList<>();
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
        // bubblewrap is the job's PID 1: its command line named every path it bound (the checkout, so
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
        assertThat(pid1).contains("--args").doesNotContain(checkout.toString(), jobs.getFileName().toString(), "--bind",
                "--ro-bind", "--seccomp");
        assertThat(log).doesNotContain("spy-" + tag).contains("PATH[/usr/bin:/bin]");
        // The host's boot id is the same for every job it runs: a fingerprint of the machine.
        assertThat(log).contains("BOOT[").doesNotContain(Files.readString(Path.of(BwrapCommand.BOOT_ID)).strip());
        // Its output goes to a log in the data directory: through a pipe, since a file's descriptor names its path.
        assertThat(log).doesNotContain(dataDir.toString()).contains("1 -> pipe:");
        // Each start's files for bubblewrap are gone with the job; the program stays.
        java.util.Optional<Path> program = sandbox.seccompFile();
        if (program.isPresent()) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (java.util.stream.Stream<Path> files = Files.list(program.get().getParent())) {
                    assertThat(files.map(f -> f.getFileName().toString())).containsExactly("filter.bpf");
                }
            });
        }
        // bubblewrap closed the descriptors its inputs came on
        assertThat(log).doesNotContainPattern("(?m) [6-9] -> ");
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
                java.lang.ProcessBuilder.Redirect.PIPE, java.lang.ProcessBuilder.Redirect.appendTo(log.toFile()),
                java.lang.ProcessBuilder.Redirect.appendTo(log.toFile()));
        List<ProcessHandle> inside = new java.util.ArrayList<>();
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
                java.lang.ProcessBuilder.Redirect.PIPE, java.lang.ProcessBuilder.Redirect.appendTo(log.toFile()),
                java.lang.ProcessBuilder.Redirect.appendTo(log.toFile()));
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
        try (java.util.stream.Stream<Path> left = Files.list(checkout)) {
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
                List.of("/bin/sh", "-c", script), Map.of(), Duration.ofSeconds(60), dataDir.resolve("logs/job.log"),
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
        assumeTrue(Files.exists(Path.of("/proc/self/autogroup")), "this kernel groups no tasks by session");
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
        JobOutcome outcome = run(script, Long.MAX_VALUE);

        assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
        assertThat(log()).containsPattern("GROUP\\[/autogroup-\\d+ nice 19]").containsPattern("AFTER\\[/autogroup-\\d+ nice 19]")
                .doesNotContain("GAVE IT BACK");
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
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(listener.getInputStream()));
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
                    Map.of(), Duration.ofSeconds(60), dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);

            assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
            assertThat(log()).contains("REFUSED 111").doesNotContain("CONNECTED");
            assertThat(listener.isAlive()).as("nothing was accepted").isTrue();
        } finally {
            listener.destroyForcibly();
        }
    }

    @Test
    void signalsToPid1AndItsDescriptorsChangeNothingOfWhatTheNodeIsTold() throws Exception {
        // PID 1 (bubblewrap's init, the job's uid) handles no signal, so the kernel drops every one
        // sent from inside its namespace, SIGKILL and SIGSTOP included; its descriptors (the eventfd
        // that carries the job's exit status to bubblewrap) are listed but not opened.
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
        assertThat(log()).contains("State:\tS (sleeping)").doesNotContain("eventfd");
    }

    @Test
    void aJobGetsNoRealTimePriorityNorALowerNiceWhateverTheNodesLimitsAllow() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chrt")), "chrt asks for real-time scheduling");
        java.util.Optional<Path> prlimit = SandboxProbe.onPath("prlimit");
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
            JobOutcome outcome = run(script, Long.MAX_VALUE);

            assertThat(outcome.status()).as(log()).isEqualTo(Result.Status.OK);
            assertThat(log()).doesNotContain("REAL-TIME", "RAISED");
        } finally {
            String[] rows = before.split("\\s+");
            new ProcessBuilder(prlimit.get().toString(), "--pid", me, "--rtprio=" + rows[0] + ":" + rows[1],
                    "--nice=" + rows[2] + ":" + rows[3]).start().waitFor();
        }
    }

    /** The sandbox, but with jobs of the node's own uid, as when the node does not run as root. */
    private static BwrapLauncher asTheNodesUser() {
        SandboxPlan p = sandbox.plan();
        return p.jobUid().isEmpty() ? sandbox : new BwrapLauncher(new SandboxPlan(p.bwrap(), p.prlimit(), p.setpriv(),
                java.util.OptionalInt.empty(), p.limits(), p.memory(), p.gpus()), cgroup, HostView.real());
    }

    private JobOutcome run(String script, long maxWorkBytes) throws IOException, InterruptedException {
        return run(script, maxWorkBytes, Map.of());
    }

    private JobOutcome run(String script, long maxWorkBytes, Map<String, String> env) throws IOException, InterruptedException {
        return new JobRunner(sandbox, JobRunner.DEFAULT_MAX_LOG_BYTES, maxWorkBytes).run(new JobSpec(checkout,
                List.of("/bin/sh", "-c", script, "job-" + tag), env, Duration.ofSeconds(60),
                dataDir.resolve("logs/job.log"), "val_bpb"), JobProgress.IGNORE);
    }

    private String log() throws IOException {
        return Files.readString(dataDir.resolve("logs/job.log"));
    }
}
