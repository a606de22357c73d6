package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the kernel counts for the job's uid on the whole machine, or for no one, which a hostile
 * job used up while it ran: each job is real, under the real sandbox, and each check failed before
 * its fix. The counts that are per user on the host (pending signals, POSIX message-queue bytes,
 * pipe pages) are the node user's own when the node does not run as root.
 */
class HostCountsTest {
    @TempDir
    Path dataDir;

    private SandboxedJobs jobs;

    @BeforeEach
    void sandbox() throws Exception {
        jobs = SandboxedJobs.open(dataDir);
    }

    @AfterEach
    void cleanUp() throws Exception {
        jobs.close();
    }

    @Test
    void bytesQueuedInSocketsPastTheJobsShareStopIt() throws Exception {
        // The kernel counts what TCP and UDP sockets hold queued against the whole machine's
        // tcp_mem and udp_mem, not per user or namespace, and RLIMIT_AS does not count it: 50
        // loopback connections written full and never read queued 189 MiB, some 300 (600
        // descriptors) reach tcp_mem's top, past which no socket of the machine may take more.
        NodeShare sixteenth = new NodeShare(16);
        long bound = SocketBuffers.limitFor(sixteenth);
        String probe = """
                import socket, time
                srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(128)
                pairs, queued = [], 0
                while queued < %d:
                    c = socket.create_connection(srv.getsockname()); s, _ = srv.accept()
                    c.setblocking(False); pairs.append((c, s))
                    try:
                        while True:
                            queued += c.send(b'x' * 65536)
                    except BlockingIOError:
                        pass
                print('QUEUED', queued >> 20, 'MiB IN', len(pairs), flush=True)
                time.sleep(3600)  # held until the node stops it
                """.formatted(2 * bound);

        JobOutcome outcome = jobs.runPython(probe, Map.of(), jobs.sandbox.shared(sixteenth.ways()));

        assertThat(outcome.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        assertThat(jobs.log()).contains("MiB queued in its sockets");
    }

    @Test
    void pendingSignalsTimersAndMessageQueuesAreTheJobsOwnFewAndPipesDoNotGrow() throws Exception {
        // Real-time signals queued and POSIX timers each take a pending signal of the job's uid, a
        // count kept per user namespace and, above it, for the uid on the host (96,362 here): the
        // job's own limit caps its namespace's part. A POSIX message queue takes bytes of the uid's
        // RLIMIT_MSGQUEUE the same way; nothing training runs uses one. A pipe grown with
        // F_SETPIPE_SZ takes up to 256 of the uid's pipe pages (pipe-user-pages-soft, 16,384 by
        // default), past which every new pipe of that user gets two pages and none may grow.
        String probe = """
                import ctypes, os, resource, signal, threading, time
                libc = ctypes.CDLL(None, use_errno=True)
                print('LIMITS', resource.getrlimit(resource.RLIMIT_SIGPENDING), resource.getrlimit(resource.RLIMIT_MSGQUEUE))
                sig = signal.SIGRTMIN
                signal.pthread_sigmask(signal.SIG_BLOCK, [sig])
                queued = 0
                while queued < 5000 and libc.sigqueue(os.getpid(), sig, ctypes.c_void_p(0)) == 0:
                    queued += 1
                print('QUEUED', queued, 'ERRNO', ctypes.get_errno())
                signal.signal(sig, signal.SIG_IGN)  # drops the pending ones
                timer = ctypes.c_void_p()
                timers = 0
                while timers < 5000 and libc.timer_create(1, None, ctypes.byref(timer)) == 0:
                    timers += 1
                print('TIMERS', timers, 'ERRNO', ctypes.get_errno())
                ctypes.set_errno(0)
                q = libc.mq_open(b'/rhizome-probe', os.O_CREAT | os.O_RDWR, 0o600, None)
                print('MQ', q, 'ERRNO', ctypes.get_errno())
                r, w = os.pipe()
                ctypes.set_errno(0)
                grown = libc.fcntl(w, 1031, 1 << 20)
                print('SETPIPE', grown, 'ERRNO', ctypes.get_errno(), 'SIZE', libc.fcntl(w, 1032))
                lock = ctypes.create_string_buffer(32)  # struct flock, F_WRLCK of the whole file
                ctypes.set_errno(0)
                print('OFD', libc.fcntl(w, 37, lock), 'ERRNO', ctypes.get_errno())
                groups = []
                for i in range(200):
                    g = libc.fanotify_init(0x200, os.O_RDONLY)  # FAN_REPORT_FID, as an unprivileged user may
                    if g < 0:
                        break
                    groups.append(g)
                print('FANOTIFY', len(groups), 'ERRNO', ctypes.get_errno())
                threads = 0
                done = threading.Event()  # each holds its task until all are counted, however slow the machine
                try:
                    while threads < 1000:
                        threading.Thread(target=done.wait, daemon=True).start(); threads += 1
                except RuntimeError:
                    pass
                print('THREADS', threads)
                done.set()
                """;
        JobOutcome outcome = jobs.runPython(probe, Map.of());

        String log = jobs.log();
        assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
        assertThat(log).contains("FANOTIFY 0 ERRNO " + SeccompFilter.ENOSYS);
        assertThat(log).contains("LIMITS (" + BwrapCommand.PENDING_SIGNALS + ", " + BwrapCommand.PENDING_SIGNALS + ") (0, 0)",
                "MQ -1 ERRNO " + SeccompFilter.ENOSYS, "SETPIPE -1 ERRNO " + SeccompFilter.EINVAL + " SIZE 65536", "OFD -1 ERRNO " + SeccompFilter.EINVAL);
        assertThat(count(log, "QUEUED")).isPositive().isLessThanOrEqualTo(BwrapCommand.PENDING_SIGNALS);
        assertThat(count(log, "TIMERS")).isPositive().isLessThanOrEqualTo(BwrapCommand.PENDING_SIGNALS);
        // Threads are tasks, counted by the job's RLIMIT_NPROC in its own user namespace.
        assertThat(count(log, "THREADS")).isPositive().isLessThan(SandboxedJobs.SMALL.processes());
    }

    @Test
    void standardSignalsPastTheBoundStopTheJob() throws Exception {
        // The kernel queues a standard signal sent by kill, or by a thread to itself with a
        // non-negative si_code, past RLIMIT_SIGPENDING: one of each per process and per thread, each
        // counted for the job's uid on the host too, where a job of 4,096 tasks could hold some
        // 230,000, past the uid's own limit (96,362 here): its other processes' real-time signals and
        // POSIX timers were refused while it held them.
        JobOutcome outcome = jobs.runPython(SandboxedJobs.script("signal-hoard.py"), Map.of(
                "HOARD_FORKS", Integer.toString(SandboxedJobs.SMALL.processes() - 14), "HOARD_WAIT", "0", "HOARD_HOLD", "3600"));

        assertThat(jobs.log()).contains("FORKED");
        assertThat(outcome.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        assertThat(jobs.log()).contains("it held more than " + PendingSignals.MAX_PENDING + " pending signals");
    }

    @Test
    void aJobSizedFromTheNodesPendingSignalsCannotForkEnoughTasksToHoldHalfOfThem() throws Exception {
        // The standard signals a job holds past its own limit are counted for its uid on the host, against
        // the node's RLIMIT_SIGPENDING: a node whose limit is 4,096 gives its jobs few enough tasks that
        // all of them holding every standard signal take under half of it, between the node's looks or
        // without them.
        jobs.close();
        NodeLimits node = new NodeLimits(OptionalLong.empty(), OptionalLong.of(4096));
        jobs = SandboxedJobs.open(dataDir, new SandboxLimits(256L << 20, SandboxLimits.tasksFor(node), 16L << 20));
        JobOutcome outcome = jobs.runPython(SandboxedJobs.script("signal-hoard.py"), Map.of("HOARD_FORKS", "200"));

        String log = jobs.log();
        assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
        assertThat(log).contains("FORK REFUSED 11");
        assertThat(count(log, "FORKED")).isPositive().isLessThan((int) PendingSignals.tasksWithin(4096));
        // Each child's process queue holds all but one of them: SIGCONT and the stop signals undo each other.
        assertThat(count(log, "SIGQ")).isGreaterThanOrEqualTo(count(log, "FORKED") * (PendingSignals.STANDARD_SIGNALS - 1))
                .isLessThanOrEqualTo(4096 / 2);
    }

    @Test
    void processesTogetherPastTheJobsMemoryStopItAndPagesTheyShareCountOnce() throws Exception {
        // RLIMIT_AS bounds each process alone: four of 120 MiB each took 480 MiB under a limit of 256
        // where no cgroup counts the tree. Forked workers sharing their parent's pages copy-on-write
        // (a data loader's) are not charged each for the whole.
        String probe = """
                import os, sys, time
                def touched(n):  # every page written: a zeroed allocation takes none until then
                    b = bytearray(n)
                    b[::4096] = b'x' * len(range(0, n, 4096))
                    return b
                shared = os.environ['MEMORY'] == 'shared'
                hold = 8 if shared else 3600  # apart: held until the node stops it
                mine = touched(150 << 20) if shared else None
                for i in range(3):
                    if os.fork() == 0:
                        mine = mine if shared else touched(120 << 20)
                        time.sleep(hold)
                        os._exit(0)
                if not shared:
                    mine = touched(120 << 20)
                print('HOLDING', flush=True)
                time.sleep(hold)
                """;
        assertThat(4 * 120).isGreaterThan((int) (SandboxedJobs.SMALL.memoryBytes() >> 20));

        JobOutcome apart = jobs.runPython(probe, Map.of("MEMORY", "apart"));

        assertThat(apart.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        if (jobs.sandbox.plan().memory() != SandboxPlan.MemoryLimit.CGROUP) {
            assertThat(jobs.log()).contains("its processes used more than " + (SandboxedJobs.SMALL.memoryBytes() >> 20)
                    + " MiB of memory together");
        }
        JobOutcome shared = jobs.runPython(probe, Map.of("MEMORY", "shared"));
        assertThat(shared.status()).as(jobs.log()).isEqualTo(Result.Status.OK);
        assertThat(jobs.log()).contains("HOLDING");
    }

    @Test
    void memoryMappingsPastTheBoundStopTheJob() throws Exception {
        // Each mapping is kernel memory that RLIMIT_AS counts only by the page it spans: every other
        // page of a region given another protection is a mapping of its own, vm.max_map_count (65,530)
        // of them per process, times the job's processes. One of them undumpable: the node still reads
        // its maps.
        String probe = """
                import ctypes, os, time
                libc = ctypes.CDLL(None, use_errno=True)
                libc.mmap.restype = ctypes.c_void_p
                libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
                PAGE = os.sysconf('SC_PAGE_SIZE')
                def split(n):
                    at = libc.mmap(None, 2 * n * PAGE, 3, 0x22, -1, 0)
                    return sum(1 for i in range(n) if libc.mprotect(ctypes.c_void_p(at + 2 * i * PAGE), PAGE, 1) == 0)
                for i in range(%d):
                    if os.fork() == 0:
                        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
                        print('SPLIT', split(30000), flush=True)
                        time.sleep(3600)  # held until the node stops it
                        os._exit(0)
                time.sleep(3600)  # held until the node stops it
                """.formatted(MemoryMappings.MAX_MAPPINGS / 60_000 + 1);
        JobOutcome outcome = jobs.runPython(probe, Map.of());

        assertThat(outcome.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        // The children split at once, so the node may stop the job before any says how far it got.
        assertThat(jobs.log()).doesNotContainPattern("(?m)^SPLIT (?!30000$)")
                .contains("it held more than " + MemoryMappings.MAX_MAPPINGS + " memory mappings");
    }

    @Test
    void pipesPastTheBoundStopTheJob() throws Exception {
        // Each pipe takes 16 of its user's pipe pages on the host whether written or not; past
        // pipe-user-pages-soft (1,024 pipes' worth by default) every new pipe of that user, the
        // volunteer's own programs' when the node does not run as root, gets two pages.
        String probe = """
                import os, time
                held = [os.pipe() for i in range(%d)]
                print('PIPES', len(held), flush=True)
                time.sleep(3600)  # held until the node stops it
                """.formatted(HeldDescriptors.MAX_PIPES + 50);
        JobOutcome outcome = jobs.runPython(probe, Map.of());

        assertThat(outcome.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        assertThat(jobs.log()).contains("PIPES", "it held more than " + HeldDescriptors.MAX_PIPES + " pipes");
    }

    @Test
    void descriptorsPastWhatTheNodeLooksAtStopTheJob() throws Exception {
        // The node's look at a job's descriptors is bounded, and gave up past the bound: behind that
        // many dummies, pipes, epoll watches and deleted files held open went uncounted.
        String probe = """
                import os, time
                for i in range(%d):
                    if os.fork() == 0:
                        held = [os.dup(0) for j in range(3900)]
                        time.sleep(3600)  # held until the node stops it
                        os._exit(0)
                print('DUMMIES', flush=True)
                time.sleep(3600)  # held until the node stops it
                """.formatted(DeletedFiles.MAX_DESCRIPTORS / 3900 + 1);
        JobOutcome outcome = jobs.runPython(probe, Map.of());

        assertThat(outcome.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        assertThat(jobs.log()).contains("DUMMIES", "it held more than " + DeletedFiles.MAX_DESCRIPTORS + " descriptors");
    }

    @Test
    void fileLocksPastTheBoundStopTheJob() throws Exception {
        // Each byte range locked apart from its neighbours is a lock of its own in kernel memory,
        // which nothing but a cgroup counts: every other byte of a few files, here.
        String probe = """
                import fcntl, os, time
                held = 0
                for f in range(%d):
                    fd = os.open('locked-%%d' %% f, os.O_RDWR | os.O_CREAT)
                    for at in range(0, 2000, 2):
                        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, at); held += 1
                print('LOCKS', held, flush=True)
                time.sleep(3600)  # held until the node stops it
                """.formatted(FileLocks.MAX_LOCKS / 1000 + 2);
        JobOutcome outcome = jobs.runPython(probe, Map.of());

        assertThat(outcome.status()).as(jobs.log()).isEqualTo(Result.Status.CRASH);
        // It may be stopped before it says LOCKS: the node looks once a second while it locks the last.
        assertThat(jobs.log()).contains("it held more than " + FileLocks.MAX_LOCKS + " file locks");
    }

    /** The number after {@code word} on its line of the log. */
    private static int count(String log, String word) {
        Matcher m = Pattern.compile("(?m)^" + word + " (\\d+)").matcher(log);
        assertThat(m.find()).as(log).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
