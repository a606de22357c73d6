package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Two slots of one node, through the node's real launcher in whichever job-user mode this JVM's user gets
 * (a root node's uids per slot, a subordinate uid per slot, or the node's own uid shared), run by
 * {@link SlotCrossingTest}. Slot 1's job holds a secret in {@code /tmp}, {@code /dev/shm}, its checkout, its
 * environment and an abstract unix socket while slot 0's hostile job ({@link #PROBE}) looks for them by
 * every name it has (those paths, {@code /proc/<pid>/root}, {@code cwd} and {@code environ} of every process
 * it sees, slot 1's checkout by its host path), leaves files in its {@code /tmp} and {@code /dev/shm}, and
 * starts a survivor (a double fork into a session of its own, its signals ignored, no parent-death signal)
 * that waits for the job's main process to end and then prints a better metric and writes into the
 * checkout. The slot's next job looks for the first one's leftovers. Prints {@code KEY value} lines; the
 * probe's own are {@code PROBE| HELD ...} or {@code PROBE| ESCAPED ...}.
 */
public final class SlotCrossingCheck {
    /** Slot 1's job: its secret everywhere it can put one, then it waits for its stdin to close. */
    static final String HOLDER = """
            import os, socket, sys, threading
            secret = os.environ["SLOT1"]
            for p in ("/tmp/slot1-secret", "/dev/shm/slot1-secret", "slot1-secret"):
                open(p, "w").write(secret)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind("\\0rhizome-slot1-" + sys.argv[1]); s.listen(8)
            def serve():
                while True:
                    c, _ = s.accept(); c.sendall(secret.encode()); c.close()
            threading.Thread(target=serve, daemon=True).start()
            print("ready", flush=True)
            sys.stdin.read()
            """;

    /** Slot 0's hostile job: argv[1] slot 1's checkout's host path, argv[2] the run's name. */
    static final String PROBE = """
            import ctypes, os, signal, socket, sys, time
            other, name = sys.argv[1], sys.argv[2]
            def held(route, ok, detail=""):
                print(("HELD " if ok else "ESCAPED ") + route + ": " + str(detail).replace("\\n", " ")[:200], flush=True)
            def reads(path):
                try:
                    with open(path, "rb") as f: return f.read(4096)
                except OSError: return None
            for p in ("/tmp/slot1-secret", "/dev/shm/slot1-secret"):
                held("shared memory files " + p, reads(p) is None, os.listdir(os.path.dirname(p)))
            got = reads(other + "/slot1-secret")
            held("other checkout", got is None, got)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect("\\0rhizome-slot1-" + name); held("abstract socket", False, c.recv(64))
            except OSError as e:
                held("abstract socket", True, e)
            found = []
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                for what in ("root/tmp/slot1-secret", "root/dev/shm/slot1-secret", "cwd/slot1-secret",
                             "root" + other + "/slot1-secret", "environ"):
                    got = reads("/proc/%s/%s" % (pid, what))
                    if got is not None and b"SLOT1-SECRET" in got: found.append(pid + "/" + what)
            held("proc of other processes", not found, found)
            for p in ("/tmp/slot0-left", "/dev/shm/slot0-left"):
                open(p, "w").write("LEFT")
            # controls: the same routes reach what this job itself holds, so a HELD above is the sandbox's doing
            own = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); own.bind("\\0rhizome-slot0-" + name); own.listen(1)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect("\\0rhizome-slot0-" + name)
            print("CONTROL own abstract socket reached", flush=True)
            print("CONTROL own files through proc " + str(reads("/proc/%d/root/tmp/slot0-left" % os.getpid()) == b"LEFT"
                  and reads("/proc/%d/cwd/probe.py" % os.getpid()) is not None), flush=True)
            main = os.getpid()
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
                        signal.signal(sig, signal.SIG_IGN)
                    ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
                    os.execvp("python3", ["python3", "-c", SURVIVOR, str(main), "survivor-" + name])
                os._exit(0)
            os.wait()
            for i in range(6000):
                if os.path.exists("survivor-started"): break
                time.sleep(0.01)
            print("val_bpb: 3.0", flush=True)
            """.replace("SURVIVOR", "'''"
            + "import os, sys, time\\n"
            + "main = int(sys.argv[1])\\n"
            + "open('survivor-started', 'w').close()\\n"
            + "while os.path.exists('/proc/%d' % main): time.sleep(0.02)\\n"
            + "for i in range(1500):\\n"
            + "    try: print('val_bpb: 0.001', flush=True)\\n"
            + "    except OSError: pass\\n"
            + "    open('late-%d' % i, 'w').close(); time.sleep(0.02)\\n"
            + "'''");

    /** The slot's next job: what the first one left in its own /tmp and /dev/shm, and who else is there. */
    static final String NEXT = """
            import os
            def held(route, ok, detail=""):
                print(("HELD " if ok else "ESCAPED ") + route + ": " + str(detail), flush=True)
            for d in ("/tmp", "/dev/shm"):
                held("leftovers in " + d, not os.path.exists(d + "/slot0-left"), os.listdir(d))
            def cmdline(pid):
                try:
                    with open("/proc/%s/cmdline" % pid) as f: return f.read()
                except OSError: return ""
            others = [p for p in os.listdir("/proc") if p.isdigit() and "survivor" in cmdline(p)]
            held("survivor seen", not others, others)
            print("val_bpb: 2.0", flush=True)
            """;

    private SlotCrossingCheck() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
        System.out.println("MODE subordinate=" + launcher.subordinateUids() + " own=" + launcher.plan().ownUid());
        Path jobDir = launcher.prepareJobDir("crossing-" + name);
        Path logs = Files.createTempDirectory("crossing-logs");
        try {
            BwrapLauncher slot0 = launcher.forSlot(0);
            BwrapLauncher slot1 = launcher.forSlot(1);
            Path checkout0 = checkout(jobDir, 0, "probe");
            Path checkout1 = checkout(jobDir, 1, "holder");
            Files.writeString(checkout0.resolve("probe.py"), PROBE);
            Files.writeString(checkout0.resolve("next.py"), NEXT);
            Files.writeString(checkout1.resolve("holder.py"), HOLDER);

            Process holder = slot1.start(List.of("python3", "holder.py", name), new Confinement(checkout1,
                    List.of(checkout1), List.of(), Map.of("PATH", "/usr/bin:/bin", "SLOT1", "SLOT1-SECRET")),
                    Redirect.PIPE, Redirect.PIPE, Redirect.appendTo(logs.resolve("holder.log").toFile()));
            BufferedReader holderOut = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            System.out.println("HOLDER " + holderOut.readLine());

            JobOutcome probe = new JobRunner(slot0).run(new JobSpec(checkout0, List.of("python3", "probe.py",
                    checkout1.toString(), name), Map.of(), Duration.ofMinutes(3), logs.resolve("probe.log"), "val_bpb"),
                    JobProgress.IGNORE);
            System.out.println("PROBE_STATUS " + probe.status() + " METRIC " + probe.metric());
            String log = Files.readString(logs.resolve("probe.log"));
            log.lines().forEach(l -> System.out.println("PROBE| " + l));
            System.out.println("LATE_LINE " + log.contains("val_bpb: 0.001"));
            try (Stream<Path> files = Files.list(checkout0)) {
                System.out.println("LATE_FILES " + files.anyMatch(f -> f.getFileName().toString().startsWith("late-")));
            }
            System.out.println("SURVIVOR_STARTED " + Files.exists(checkout0.resolve("survivor-started")));
            System.out.println("SURVIVOR_ALIVE " + survivorAlive(name));

            holder.getOutputStream().close();
            System.out.println("HOLDER_ENDED " + holder.waitFor(2, TimeUnit.MINUTES) + " " + holder.exitValue());

            JobOutcome next = new JobRunner(slot0).run(new JobSpec(checkout0, List.of("python3", "next.py"), Map.of(),
                    Duration.ofMinutes(3), logs.resolve("next.log"), "val_bpb"), JobProgress.IGNORE);
            System.out.println("NEXT_STATUS " + next.status() + " METRIC " + next.metric());
            Files.readString(logs.resolve("next.log")).lines().forEach(l -> System.out.println("NEXT| " + l));
            slot0.releaseUid();
            slot1.releaseUid();
        } finally {
            JobDirs.deleteTree(jobDir);
            JobDirs.deleteTree(logs);
        }
    }

    private static Path checkout(Path jobDir, int slot, String name) throws Exception {
        Path slotDir = Files.createDirectories(jobDir.resolve("slot-" + slot));
        // as Evaluator makes a slot's directory: passable by the slot's uid whatever the umask
        Files.setPosixFilePermissions(slotDir, PosixFilePermissions.fromString("rwx--x--x"));
        return Files.createDirectory(slotDir.resolve(name));
    }

    /** Whether any process of the machine still runs the probe's survivor (its command line names it). */
    private static boolean survivorAlive(String name) throws Exception {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).anyMatch(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .contains("survivor-" + name);
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }
}
