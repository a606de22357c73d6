package dev.rhizome.node.job;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A job's survivors, through the node's real launcher in whichever job-user mode this JVM's user gets, run by
 * {@link SurvivorTest}. {@value #ROUNDS} times, a job whose main process prints a metric and ends while a
 * double-forked survivor (a session of its own, its signals ignored, its parent-death signal cleared) waits for
 * that end, seen as any process outside sees it ({@code kill(pid, 0)} failing, {@code /proc/<pid>} gone or a
 * zombie), and then prints a better metric. Then a job that clears its own parent-death signal and goes on,
 * whose bubblewrap is killed as the node's death kills it. Then, shown only, the same survivor waiting instead
 * on a pipe that only the main process holds ({@code EOF_LATE}): the pipe closes as the main process exits,
 * before the kernel kills the namespace. Prints {@code KEY value} lines.
 */
public final class SurvivorCheck {
    static final int ROUNDS = 12;

    /** argv[1]: how the survivor learns of the main process's end, {@code exit} or {@code eof}. */
    static final String JOB = """
            import ctypes, os, signal, sys, time
            how = sys.argv[1]
            main = os.getpid()
            r, w = os.pipe()
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
                        signal.signal(sig, signal.SIG_IGN)
                    ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
                    os.close(w)
                    open('survivor-started', 'w').close()
                    if how == 'eof':
                        os.read(r, 1)
                    else:
                        def ended():
                            try:
                                os.kill(main, 0)
                                with open('/proc/%d/stat' % main) as f:
                                    return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
                            except OSError:
                                return True
                        while not ended():
                            pass
                    for i in range(200):
                        try: os.write(1, b'val_bpb: 0.001\\n')
                        except OSError: pass
                        time.sleep(0.01)
                    os._exit(0)
                os._exit(0)
            os.close(r)
            os.wait()
            while not os.path.exists('survivor-started'):
                time.sleep(0.005)
            print('val_bpb: 3.0', flush=True)
            os._exit(0)
            """;

    /** A job that clears its parent-death signal, says what it reads back, and runs until killed. */
    static final String OUTLIVER = """
            import ctypes, os, time
            libc = ctypes.CDLL(None, use_errno=True)
            print('CLEARED', libc.prctl(1, 0, 0, 0, 0), flush=True)
            sig = ctypes.c_int(-1)
            libc.prctl(2, ctypes.byref(sig), 0, 0, 0)
            print('PDEATHSIG', sig.value, flush=True)
            while True:
                open('alive', 'a').write('x')
                time.sleep(0.05)
            """;

    private SurvivorCheck() {
    }

    public static void main(String[] args) throws Exception {
        BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
        System.out.println("MODE subordinate=" + launcher.subordinateUids() + " own=" + launcher.plan().ownUid());
        Path jobDir = launcher.prepareJobDir("survivor-" + args[0]);
        Path logs = Files.createTempDirectory("survivor-logs");
        BwrapLauncher slot = launcher.forSlot(0);
        try {
            Path slotDir = Files.createDirectories(jobDir.resolve("slot-0"));
            // as Evaluator makes a slot's directory: passable by the slot's uid whatever the umask
            Files.setPosixFilePermissions(slotDir, PosixFilePermissions.fromString("rwx--x--x"));
            int late = 0;
            for (int round = 0; round < ROUNDS; round++) {
                JobOutcome outcome = runOnce(slot, slotDir, logs, "exit", round);
                String log = Files.readString(logs.resolve("exit-" + round + ".log"));
                boolean lateLine = log.contains("val_bpb: 0.001");
                late += lateLine ? 1 : 0;
                System.out.println("ROUND " + round + " " + outcome.status() + " " + outcome.metric() + " late=" + lateLine);
            }
            System.out.println("EXIT_LATE " + late + "/" + ROUNDS);
            int eofLate = 0;
            for (int round = 0; round < ROUNDS; round++) {
                runOnce(slot, slotDir, logs, "eof", round);
                eofLate += Files.readString(logs.resolve("eof-" + round + ".log")).contains("val_bpb: 0.001") ? 1 : 0;
            }
            System.out.println("EOF_LATE " + eofLate + "/" + ROUNDS);
            outliver(slot, slotDir, logs);
        } finally {
            slot.releaseUid();
            JobDirs.deleteTree(jobDir);
            JobDirs.deleteTree(logs);
        }
    }

    private static JobOutcome runOnce(BwrapLauncher slot, Path slotDir, Path logs, String how, int round) throws Exception {
        Path checkout = Files.createDirectory(slotDir.resolve(how + "-" + round));
        Files.writeString(checkout.resolve("job.py"), JOB);
        return new JobRunner(slot).run(new JobSpec(checkout, List.of("python3", "job.py", how), Map.of(),
                Duration.ofMinutes(2), logs.resolve(how + "-" + round + ".log"), "val_bpb"), JobProgress.IGNORE);
    }

    private static void outliver(BwrapLauncher slot, Path slotDir, Path logs) throws Exception {
        Path checkout = Files.createDirectory(slotDir.resolve("outliver"));
        Files.writeString(checkout.resolve("job.py"), OUTLIVER);
        Path log = logs.resolve("outliver.log");
        Process bwrap = slot.start(List.of("python3", "job.py"), new Confinement(checkout, List.of(checkout),
                List.of(), Map.of("PATH", "/usr/bin:/bin")), Redirect.PIPE, Redirect.appendTo(log.toFile()),
                Redirect.appendTo(log.toFile()));
        try {
            long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!(Files.exists(checkout.resolve("alive")) && Files.readString(log).contains("PDEATHSIG"))) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("the job did not start: " + Files.readString(log));
                }
                Thread.sleep(50);
            }
            List<ProcessHandle> inside = bwrap.toHandle().descendants().toList();
            System.out.println("OUTLIVER_PROCESSES " + inside.size());
            bwrap.toHandle().destroyForcibly(); // bubblewrap alone, as when the node dies: no sweep
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (inside.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            System.out.println("OUTLIVED_BWRAP " + inside.stream().anyMatch(ProcessHandle::isAlive));
            Files.readString(log).lines().forEach(l -> System.out.println("OUTLIVER| " + l));
            inside.forEach(ProcessHandle::destroyForcibly); // one that outlived it holds the log's pipe
        } finally {
            bwrap.destroyForcibly();
            bwrap.waitFor();
        }
    }
}
