package dev.rhizome.node.job;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What a node of an ordinary user with subordinate ids sees of a job that runs as one of them, run
 * in its own JVM as a test-only user by {@link SubordinateUidTest}. Prints one {@code KEY value}
 * line per finding. The job runs in bubblewrap inside the node's namespace as its id 1 (a slot's),
 * holds a deleted 3 MiB file, a FIFO and a pipe, and tries the node's key and the node and helper
 * processes.
 */
public final class SubordinateUidCheck {
    private SubordinateUidCheck() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        int uid = JobDirs.myUid();
        int gid = JobDirs.myGid();
        System.out.println("UID " + uid);
        SubordinateIds uids = SubordinateIds.of(Files.readString(Path.of("/etc/subuid")), name, uid, 2).orElseThrow();
        SubordinateIds gids = SubordinateIds.of(Files.readString(Path.of("/etc/subgid")), name, uid, 2).orElseThrow();
        Path home = Files.createTempDirectory("subuid-node", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx--x---")));
        Path key = Files.writeString(home.resolve("node.key"), "SECRET-KEY");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        // A range /etc/subuid does not give this user: refused by newuidmap, said so.
        try (JobUserNamespace foreign = JobUserNamespace.start(uid, gid, new SubordinateIds(uids.first() + uids.count(), 8), gids)) {
            System.out.println("FOREIGN_RANGE mapped");
        } catch (IOException e) {
            System.out.println("FOREIGN_RANGE " + e.getMessage().replace('\n', ' '));
        }
        Path jobDir = home.resolve("jobs.name"); // where a node keeps its job directories' key, as NodeDaemon starts them
        Path work;
        Path killedStart;
        JobUserNamespace first = JobUserNamespace.start(uid, gid, uids, gids);
        try (JobUserNamespace ns = first; NamespaceFds fds = NamespaceFds.start(ns)) {
            Path jobs = SubordinateOwnership.prepareNodeJobDir(ns, jobDir);
            killedStart = jobs;
            System.out.println("JOB_DIR_MODE " + PosixFilePermissions.toString(Files.getPosixFilePermissions(jobs))
                    + " GID_IS_JOBS " + ((Integer) Files.getAttribute(jobs, "unix:gid") == gids.first()));
            work = Files.createDirectory(jobs.resolve("unit"));
            Files.writeString(work.resolve("train.py"), "print(1)");
            // The hand-over: the namespace's root gives the checkout to its id 1.
            SubordinateOwnership.toJob(ns, work, 1);
            System.out.println("WORK_OWNER " + Files.getAttribute(work, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            String script = "id -u > uid; cat " + key + " > key.out 2>&1; echo $? > key.rc;"
                    + " kill -0 " + ProcessHandle.current().pid() + " 2> node.kill; echo $? > node.rc;"
                    + " kill -0 " + fds.pid() + " 2> helper.kill; echo $? > helper.rc;"
                    + " dd if=/dev/zero of=big bs=1M count=3 2>/dev/null; exec 5<big; rm big;"
                    + " mkfifo f; exec 6<>f; ln -s " + key + " keylink; mkdir -p locked/deep && echo x > locked/deep/y"
                    + " && chmod 000 locked/deep locked; echo >> train.py 2> train.err; echo $? > train.rc;"
                    + " sleep 600 | sleep 600 & touch ready; wait";
            List<String> job = ns.enter(1, SubordinateJobs.JOBS_GID);
            job.addAll(List.of("bwrap", "--unshare-all", "--die-with-parent", "--disable-userns", "--unshare-user",
                    "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                    "--symlink", "usr/lib64", "/lib64", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                    "--ro-bind", home.toString(), home.toString(), "--bind", work.toString(), work.toString(),
                    "--chdir", work.toString(),
                    "--", "/bin/sh", "-c", script));
            Process p = new ProcessBuilder(job).redirectErrorStream(true).start();
            Path ready = work.resolve("ready");
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> Files.exists(ready) || !p.isAlive());
            } catch (ConditionTimeoutException notReady) {
                // printed below as what the job had done by then: the test names what is missing
            }
            List<ProcessHandle> alive = new ArrayList<>(List.of(p.toHandle()));
            p.descendants().forEach(alive::add);
            // A process that ended between the listing and its /proc read (the `touch ready` the wait saw
            // can still be exiting) runs as no one: only the living are the job's uids.
            System.out.println("JOB_HOST_UIDS " + alive.stream().skip(1).map(SubordinateUidCheck::hostUid)
                    .filter(host -> !host.equals("gone")).distinct().toList());
            System.out.println("JOB_INSIDE_UID " + read(work.resolve("uid")));
            System.out.println("KEY_RC " + read(work.resolve("key.rc")) + " KEY_OUT " + read(work.resolve("key.out")));
            System.out.println("TRAIN_WRITABLE " + read(work.resolve("train.rc")));
            System.out.println("NODE_KILL_RC " + read(work.resolve("node.rc")));
            System.out.println("HELPER_KILL_RC " + read(work.resolve("helper.rc")));
            List<Long> pids = alive.stream().map(ProcessHandle::pid).toList();
            System.out.println("DIRECT_SEEN " + ProcDescriptors.ON_THIS_MACHINE.look(pids, 1000, 0).descriptors().stream()
                    .filter(d -> d.pid() != p.pid() && d.mode() != -1).count());
            long dev = (Long) Files.getAttribute(work, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            System.out.println("DIRECT_DELETED " + DeletedFiles.onThisMachine().bytes(alive, dev));
            System.out.println("HELPER_DELETED " + new DeletedFiles(fds, DeletedFiles.MAX_DESCRIPTORS).bytes(alive, dev));
            System.out.println("HELPER_PIPES_OVER_1 " + new HeldDescriptors(fds, 1000, 1).check(alive).orElse("none"));
            System.out.println("HELPER_PIPES_OVER_8 " + new HeldDescriptors(fds, 1000, 8).check(alive).orElse("none"));
            p.destroyForcibly().waitFor();
            fds.close();
            System.out.println("BLIND_AFTER_HELPER_ENDS " + new HeldDescriptors(fds, 1000, 8).check(alive).orElse("none"));
        }
        // The node was killed with its job: its namespace went with it, the job's files stay its subordinate uid's.
        System.out.println("LEFT_OWNER " + hostUidOf(work.resolve("locked")));
        try (JobUserNamespace next = JobUserNamespace.start(uid, gid, uids, gids); NamespaceFds helper = NamespaceFds.start(next)) {
            // The give-back at the next start, before the job directory is emptied.
            Path jobs = SubordinateOwnership.prepareNodeJobDir(next, jobDir);
            try (var left = Files.list(jobs)) {
                System.out.println("LEFTOVERS " + (left.count() + (Files.exists(killedStart) ? 1 : 0)));
            }
            System.out.println("KEY_AFTER " + (Files.readString(key).equals("SECRET-KEY") ? "intact" : "changed") + " " + hostUidOf(key));
            // A give-back after a job that ended: links as links, the tree the node's.
            Path unit = Files.createDirectory(jobs.resolve("unit"));
            SubordinateOwnership.toJob(next, unit, 2);
            List<String> job = next.enter(2, SubordinateJobs.JOBS_GID);
            // Without bubblewrap, in the helper's own PID namespace: its uid alone keeps the job from the helper.
            job.addAll(List.of("/bin/sh", "-c", "cd " + unit + " && ln -s " + key + " link && mkdir d && chmod 000 d"
                    + " && { kill -0 " + helper.pid() + " 2>&1; echo \"SIGNAL_HELPER_RC $?\"; }"
                    + " && { head -c 64 /proc/" + helper.pid() + "/environ >/dev/null 2>&1; echo \"HELPER_ENVIRON_RC $?\"; }"));
            System.out.println("JOB2_RC " + new ProcessBuilder(job).inheritIO().start().waitFor());
            System.out.println("JOB2_OWNER " + hostUidOf(unit.resolve("link")));
            SubordinateOwnership.toNode(next, unit);
            try (var left = Files.list(unit)) {
                System.out.println("GIVEN_BACK " + left.allMatch(f -> hostUidOf(f) == uid) + " " + (hostUidOf(unit) == uid));
            }
            System.out.println("KEY_OWNER_AFTER " + hostUidOf(key));
            JobDirs.deleteTree(jobs);
        } finally {
            JobDirs.deleteTree(home);
        }
    }

    private static int hostUidOf(Path f) {
        try {
            return (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String hostUid(ProcessHandle p) {
        try {
            return Files.readAllLines(Path.of("/proc/" + p.pid() + "/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElse("?").split("\\s+")[1];
        } catch (IOException e) {
            return "gone";
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f).trim().replace('\n', ' ');
        } catch (IOException e) {
            return "unread: " + e;
        }
    }
}
