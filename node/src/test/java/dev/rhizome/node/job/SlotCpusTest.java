package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 38: each slot's jobs run on their own share of the node's CPUs. Before, a CPU job's only bound was its
 * priority, and one job ran a thread on every core the node had, its neighbouring slot's too. A real job per slot,
 * started by the node's launcher pinned as the node pins it ({@link CpuShare#divide} of this process's CPUs among
 * two slots), spins four processes, each of which asks for every CPU of the machine first: each job's affinity is
 * its slot's share alone, and every CPU any of its processes was seen running on is in that share.
 */
class SlotCpusTest {
    private static final String SPINNER = """
            import os
            try:
                os.sched_setaffinity(0, range(os.cpu_count()))
            except OSError:
                pass
            print('affinity', ','.join(map(str, sorted(os.sched_getaffinity(0)))), flush=True)
            def cpu_now():
                with open('/proc/self/stat') as f:
                    return int(f.read().rsplit(')', 1)[1].split()[36])
            children = []
            for _ in range(4):
                r, w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(r)
                    os.sched_setaffinity(0, range(os.cpu_count()))
                    seen, x = set(), 0
                    for _ in range(300):
                        for i in range(20000):
                            x += i
                        seen.add(cpu_now())
                    os.write(w, ','.join(map(str, sorted(seen))).encode())
                    os._exit(0)
                os.close(w)
                children.append((pid, r))
            used = set()
            for pid, r in children:
                used.update(int(c) for c in os.read(r, 4096).decode().split(','))
                os.waitpid(pid, 0)
            print('used', ','.join(map(str, sorted(used))), flush=True)
            """;
    private static final Pattern AFFINITY = Pattern.compile("(?m)^affinity (\\S+)$");
    private static final Pattern USED = Pattern.compile("(?m)^used (\\S+)$");

    @TempDir
    Path dataDir;

    @Test
    void eachSlotsJobSeesAndUsesOnlyItsOwnShareOfTheNodesCpus() throws Exception {
        CpuShare node = CpuShare.ofThisProcess().orElseThrow();
        assumeTrue(node.cpus().size() >= 2, "two CPUs to divide between two slots");
        assumeTrue(CpuShare.TASKSET.isPresent(), "taskset starts a slot's jobs on its CPUs");
        List<CpuShare> shares = node.divide(2);
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            List<List<Integer>> usedBySlot = new ArrayList<>();
            for (CpuShare share : shares) {
                BwrapLauncher slot = jobs.sandbox.pinnedTo(share);
                assertThat(slot.cpus()).contains(share);
                JobOutcome outcome = jobs.runPython(SPINNER, Map.of(), slot);
                String log = jobs.log();
                assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
                assertThat(cpus(AFFINITY, log)).as("the job's affinity, after it asked for every CPU: %s", log)
                        .containsExactlyElementsOf(share.cpus());
                List<Integer> used = cpus(USED, log);
                assertThat(used).as("where its four spinning processes ran: %s", log).isNotEmpty()
                        .isSubsetOf(share.cpus());
                usedBySlot.add(used);
            }
            assertThat(usedBySlot.get(0)).as("two slots' jobs never share a core").doesNotContainAnyElementsOf(
                    usedBySlot.get(1));
        }
    }

    /**
     * A slot whose share has no CPU online (here a CPU number past the machine's, as a CPU taken offline reads to
     * the kernel) still runs its job, on the node's CPUs online: {@code taskset} refused such a share before, and
     * the job failed to start. The share is divided at the launch, so a slot of a division naming such a CPU runs
     * on its part of those online.
     */
    @Test
    void aSlotWhoseCpusAreOfflineStillRunsItsJobOnCpusOnline() throws Exception {
        CpuShare node = CpuShare.ofThisProcess().orElseThrow();
        assumeTrue(CpuShare.TASKSET.isPresent(), "taskset starts a slot's jobs on its CPUs");
        CpuShare online = CpuShare.online().orElseThrow();
        CpuShare usable = node.intersect(online).orElseThrow();
        int ghost = Math.max(node.cpus().get(node.cpus().size() - 1), online.cpus().get(online.cpus().size() - 1)) + 1000;
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            BwrapLauncher offline = jobs.sandbox.pinnedTo(CpuShare.parse(Integer.toString(ghost)));
            JobOutcome outcome = jobs.runPython(SPINNER, Map.of(), offline);
            String log = jobs.log();
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            assertThat(cpus(AFFINITY, log)).as("the node's CPUs online: %s", log).containsExactlyElementsOf(usable.cpus());

            List<Integer> withGhost = new ArrayList<>(usable.cpus());
            withGhost.add(ghost);
            SlotCpus last = new SlotCpus(new CpuShare(withGhost), List.of(1, 1), 1);
            CpuShare expected = last.at(Optional.of(node), Optional.of(online));
            assertThat(expected.cpus()).doesNotContain(ghost);
            outcome = jobs.runPython(SPINNER, Map.of(), jobs.sandbox.pinnedTo(last));
            log = jobs.log();
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            assertThat(cpus(AFFINITY, log)).as("its part of the CPUs online: %s", log)
                    .containsExactlyElementsOf(expected.cpus());
        }
    }

    private static List<Integer> cpus(Pattern line, String log) {
        Matcher m = line.matcher(log);
        assertThat(m.find()).as(log).isTrue();
        return CpuShare.parse(m.group(1)).cpus();
    }
}
