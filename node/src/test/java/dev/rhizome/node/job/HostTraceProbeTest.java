package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile job ({@code trace-probe.py}) reads, through the node's real launch path, everything a job
 * would read to learn whose machine it runs on: its host name, users, login and session, cgroup, mounts,
 * environment, descriptors, its own and PID 1's {@code /proc} entries, the host's unix sockets and
 * network devices, and the directories where a home, a runtime directory or a volunteer's files lie.
 * The job is told nothing of the host, so it writes everything it found and this test looks there, from
 * outside, for what must not be found. Its checkout's host path, which the kernel shows it in
 * {@code mountinfo}, is a random one ({@link JobDirNames}); what it still finds is in Known gaps.
 */
class HostTraceProbeTest {
    @TempDir
    Path tmp;

    @Test
    void aJobLearnsNeitherTheHostsNameNorItsUsersNorWhereTheNodeKeepsItsData() throws Exception {
        String marker = "volunteer-" + UUID.randomUUID().toString().substring(0, 8);
        // The node's data directory under what stands for a volunteer's home, named so that any trace is found.
        Path dataDir = Files.createDirectories(tmp.resolve("home").resolve(marker).resolve(".rhizome"));
        Files.writeString(dataDir.resolve("identity.key"), "SECRET-" + marker);
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
                        String log = jobs.runOk(SandboxedJobs.script("trace-probe.py"));
            assertThat(log).contains("TRACED");
            String trace = Files.readString(jobs.checkout.resolve("trace.txt"));
            Map<String, String> items = items(trace);

            assertThat(trace).as("the data directory and its home, anywhere").doesNotContain(marker, "SECRET-");
            String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            Pattern hostName = Pattern.compile("(?<![\\w.-])" + Pattern.quote(host) + "(?![\\w-])");
            for (String name : List.of("uname", "gethostname", "fqdn", "/etc/hostname", "/etc/hosts",
                    "/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname", "environment")) {
                if (!host.equals(BwrapCommand.HOSTNAME)) {
                    assertThat(hostName.matcher(items.get(name)).find()).as(name + ": " + items.get(name)).isFalse();
                }
            }
            assertThat(items.get("gethostname").trim()).isEqualTo(BwrapCommand.HOSTNAME);
            // Who built the kernel where: a kernel the volunteer built names its user and machine there.
            Matcher builtBy = Pattern.compile("^Linux version \\S+ (\\([^()\\s]*@[^()\\s]*\\))")
                    .matcher(Files.readString(Path.of(ProcViews.VERSION)));
            if (builtBy.find()) {
                assertThat(items.get(ProcViews.VERSION)).as(ProcViews.VERSION).doesNotContain(builtBy.group(1))
                        .contains(ProcViews.BUILT_BY);
            }
            // The node's user: neither its name nor its home in the job's users, environment or ids.
            String user = System.getProperty("user.name");
            String home = System.getProperty("user.home");
            if (!List.of("root", "nobody").contains(user)) {
                assertThat(items.get("/etc/passwd") + items.get("/etc/group") + items.get("environment")
                        + items.get("passwd entry")).doesNotContain(user, home);
            }
            assertThat(items.get("environment")).doesNotContain("RHIZOME_", home + "/");
            // Its mounts: the kernel names each bound directory by its host path (the root field), so the
            // checkout's is one no job can tell a node by: a random name made anew at each start and for each
            // job, no uid, no name the node keeps, no user or home.
            for (String name : List.of("/proc/self/mountinfo", "/proc/1/mountinfo", "/proc/self/mounts", "/proc/self/mountstats")) {
                String mounts = items.get(name);
                // nor the node's private directory (its pid, the same for every job), where the job's copies of /proc
                // were first kept: theirs is a directory named anew at each start
                assertThat(mounts).as(name).doesNotContain("rhizome-jobs", SandboxedJobs.key(), System.getProperty("user.dir"),
                        SeccompPrograms.PREFIX);
                if (!List.of("root", "nobody").contains(user)) {
                    assertThat(mounts).as(name).doesNotContain(user, home);
                }
            }
            List<String> work = items.get("/proc/self/mountinfo").lines()
                    .filter(l -> l.split(" ").length > 4 && l.split(" ")[4].equals("/job")).toList();
            assertThat(work).hasSize(1);
            String hostPath = work.get(0).split(" ")[3];
            assertThat(hostPath).as("the checkout's host path, as the job reads it")
                    .matches(".*/rhizome-[0-9a-f]{32}/[0-9a-f]{16}")
                    .doesNotContain(jobs.jobs.getFileName().toString());
            Path above = Path.of(hostPath).getParent().getParent();
            assertThat(jobs.jobs.getParent()).as("above the job directory: the temporary directory alone")
                    .endsWith(above);
            assertThat(Path.of(hostPath).getFileName().toString()).isEqualTo(jobs.checkout.getFileName().toString());
            // The job's cgroup namespace starts at its own cgroup (or the node's): no host path of units or users.
            assertThat(items.get("/proc/self/cgroup").trim().split("\n")).allMatch(l -> l.endsWith(":/"));
            // The audit login uid names the volunteer who logged in; the job's namespace maps only its own uid.
            int jobUid = jobs.sandbox.plan().jobUid().orElse(JobDirs.myUid());
            assertThat(items.get("/proc/self/loginuid").trim()).isIn("4294967295", Integer.toString(jobUid));
            // The host's unix sockets and network devices: only the job's own namespace's.
            for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 8 && f[7].startsWith("/")) {
                    assertThat(items.get("/proc/self/net/unix")).as("the host's socket " + f[7]).doesNotContain(f[7]);
                }
            }
            assertThat(devices(items.get("/proc/self/net/dev"))).containsExactly("lo");
            for (String dir : List.of("ls /home", "ls /root", "ls /run", "ls /mnt", "ls /media", "ls /srv", "ls /var")) {
                assertThat(items.get(dir)).as(dir).startsWith("[Errno 2]");
            }
            // Every descriptor the job or its PID 1 holds is a pipe, a socket or /dev/null, or a file of its own.
            items.forEach((name, value) -> {
                if (name.matches("/proc/(self|1)/fd/\\d+ ->")) {
                    assertThat(value.trim()).as(name).matches("pipe:\\[\\d+]|socket:\\[\\d+]|anon_inode:.*|/dev/null|/job(/.*)?|/proc/.*|unreadable: .*");
                }
            });
        }
    }

    @Test
    void whatAJobLeavesAnywhereItCanWriteIsGoneForTheNextJob() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
            JobOutcome left = jobs.runPython(SandboxedJobs.script("leave-probe.py"),
                    Map.of("PROBE_MODE", "leave", "PROBE_TAG", jobs.tag));
            String leaveLog = jobs.log();
            assertThat(left.status()).as(leaveLog).isEqualTo(Result.Status.OK);
            List<String> wrote = leaveLog.lines().filter(l -> l.startsWith("WROTE ")).map(l -> l.substring(6)).toList();
            // Its checkout (which the node deletes after each job), its own /tmp and /dev/shm, nothing else.
            assertThat(wrote).as(leaveLog).contains("/job", "/tmp", "/dev/shm")
                    .allMatch(d -> d.equals("/job") || d.startsWith("/job/") || d.equals("/tmp") || d.startsWith("/tmp/")
                            || d.equals("/dev/shm") || d.startsWith("/dev/shm/"));
            // The node gives the next job a new checkout: this test keeps the same directory, emptied.
            try (var entries = Files.list(jobs.checkout)) {
                for (Path p : entries.toList()) {
                    JobDirs.deleteTree(p);
                }
            }

            JobOutcome found = jobs.runPython(SandboxedJobs.script("leave-probe.py"),
                    Map.of("PROBE_MODE", "find", "PROBE_TAG", jobs.tag));

            String findLog = jobs.log();
            assertThat(found.status()).as(findLog).isEqualTo(Result.Status.OK);
            assertThat(findLog).as(findLog).contains("FOUND 0");
        }
    }

    /** The trace's items by name. */
    private static Map<String, String> items(String trace) {
        Map<String, String> items = new LinkedHashMap<>();
        for (String part : trace.split("(?m)^== ")) {
            int nl = part.indexOf('\n');
            if (nl > 0) {
                items.put(part.substring(0, nl), part.substring(nl + 1));
            }
        }
        return items;
    }

    /** The device names of a {@code /proc/net/dev}. */
    private static List<String> devices(String netDev) {
        return Arrays.stream(netDev.split("\n")).skip(2).map(l -> l.split(":")[0].trim()).filter(s -> !s.isEmpty()).toList();
    }
}
