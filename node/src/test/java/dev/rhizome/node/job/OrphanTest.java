package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What it costs a job that its own command is its PID namespace's init (round 19, {@link BwrapCommand#AS_PID_1}):
 * an orphan is reparented to that command and, unreaped, stays a zombie that counts against the job's task
 * limit until the job ends. Measured in the real sandbox with a python job: what a training script does with
 * processes (a multiprocessing pool, each start method, a terminated pool, a process pool executor,
 * {@code subprocess.run}, {@code os.system} pipelines) leaves no zombie, since each of those waits for
 * its own children; only an orphan does (a shell's background helper, a daemon's double fork), one each.
 */
class OrphanTest {
    @TempDir
    Path dataDir;

    private static final String JOB = """
            import os, subprocess, multiprocessing as mp, concurrent.futures as cf, time
            def zombies():
                n = 0
                for p in os.listdir('/proc'):
                    if p.isdigit():
                        try:
                            if open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()[0] == 'Z':
                                n += 1
                        except OSError:
                            pass
                return n
            def sq(x):
                return x * x
            if __name__ == '__main__':
                for method in ('fork', 'spawn', 'forkserver'):
                    with mp.get_context(method).Pool(2) as p:
                        p.map(sq, range(20))
                p = mp.Pool(2); p.map(sq, range(10)); p.terminate(); p.join()
                with cf.ProcessPoolExecutor(2) as ex:
                    list(ex.map(sq, range(20)))
                for i in range(10):
                    subprocess.run(['true'])
                    os.system('echo x | cat > /dev/null')
                    subprocess.check_output('ls / | head -1', shell=True)
                time.sleep(0.2)
                print('ZOMBIES_AFTER_OWN_CHILDREN', zombies(), flush=True)
                for i in range(5):
                    os.system('sleep 0.01 &')
                time.sleep(1)
                print('ZOMBIES_AFTER_5_ORPHANS', zombies(), flush=True)
                print('PID', os.getpid())
                print('val_bpb: 1.0')
            """;

    @Test
    void aPythonJobsOwnChildrenLeaveNoZombieAnOrphanOne() throws Exception {
        String log = run(List.of("/usr/bin/python3", "probe.py"));
        assertThat(log).as(log).contains("ZOMBIES_AFTER_OWN_CHILDREN 0\n", "ZOMBIES_AFTER_5_ORPHANS 5\n", "PID 1\n");
    }

    /** A seed's command run by a shell: the shell is the init, and reaps whatever it is given while it waits. */
    @Test
    void aShellAsTheCommandReapsOrphans() throws Exception {
        String log = run(List.of("/bin/sh", "-c", "/usr/bin/python3 probe.py; exit $?"));
        assertThat(log).as(log).contains("ZOMBIES_AFTER_OWN_CHILDREN 0\n", "ZOMBIES_AFTER_5_ORPHANS 0\n")
                .doesNotContain("PID 1\n");
    }

    private String run(List<String> command) throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Files.writeString(jobs.checkout.resolve("probe.py"), JOB);
            Path log = dataDir.resolve("orphans.log");
            JobOutcome outcome = new JobRunner(jobs.sandbox).run(new JobSpec(jobs.checkout, command, Map.of(),
                    JobBudgets.ENDS_BY_ITSELF, log, "val_bpb"), JobProgress.IGNORE);
            String text = Files.readString(log);
            assertThat(outcome.metric()).as(text).hasValue(1.0);
            return text;
        }
    }
}
