package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A user namespace of the node's (not root) in which its jobs get uids of their own: the node's
 * uid and gid are its root, and its subordinate ids ({@link SubordinateIds}) are ids 1 and up, so a
 * job started in it as id {@code 1+slot} ({@link #enter}) runs on the host as the subordinate uid
 * {@code first+slot}, another user than the volunteer's.
 *
 * <p>It is held by a process ({@code unshare --user -- cat}) that reads a pipe of the node's: the
 * namespace lives while the node does and ends with it, killed or not, since the pipe's end closes
 * with the node's process. Mapped by the setuid {@code newuidmap}/{@code newgidmap} (shadow's), the
 * only way an ordinary user may map ids other than its own. util-linux's {@code unshare --map-users}
 * changed its argument order in 2.39, so it is not used. A subordinate gid range leaves
 * {@code setgroups} allowed, so {@code nsenter} clears the node's supplementary groups.
 */
final class JobUserNamespace implements AutoCloseable {
    private final Process holder;
    private final Path nsenter;

    private JobUserNamespace(Process holder, Path nsenter) {
        this.holder = holder;
        this.nsenter = nsenter;
    }

    /** Starts and maps the namespace for the node's uid and gid with those ranges; throws saying what failed. */
    static JobUserNamespace start(int uid, int gid, SubordinateIds uids, SubordinateIds gids) throws IOException {
        Path unshare = tool("unshare");
        Path nsenter = tool("nsenter");
        Path newuidmap = tool("newuidmap");
        Path newgidmap = tool("newgidmap");
        Path cat = tool("cat");
        Process holder = new ProcessBuilder(unshare.toString(), "--user", "--", cat.toString())
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start();
        try {
            awaitOwnNamespace(holder);
            String pid = Long.toString(holder.pid());
            run(List.of(newuidmap.toString(), pid, "0", Integer.toString(uid), "1", "1",
                    Long.toString(uids.first()), Long.toString(uids.count())));
            run(List.of(newgidmap.toString(), pid, "0", Integer.toString(gid), "1", "1",
                    Long.toString(gids.first()), Long.toString(gids.count())));
            return new JobUserNamespace(holder, nsenter);
        } catch (IOException | RuntimeException e) {
            holder.destroyForcibly();
            throw e;
        }
    }

    /**
     * The command prefix that runs what follows it in this namespace as its id {@code uid} and group
     * {@code gid} (0 is the node's own, 1 and up its subordinate ids), the supplementary groups cleared.
     * Refused once the holder is gone: its pid could name another process's namespace by then.
     */
    List<String> enter(int uid, int gid) throws IOException {
        if (!holder.isAlive()) {
            throw new IOException("the jobs' user namespace is gone (its holder, pid " + holder.pid() + ", ended)");
        }
        return new ArrayList<>(List.of(nsenter.toString(), "--user=/proc/" + holder.pid() + "/ns/user",
                "-S", Integer.toString(uid), "-G", Integer.toString(gid), "--"));
    }

    /** The host uid that this namespace's id {@code id} (1 and up) is, given the range it was mapped with. */
    static long hostId(SubordinateIds range, int id) {
        return range.first() + id - 1;
    }

    @Override
    public void close() {
        holder.destroyForcibly();
    }

    /** Until the holder is in a namespace other than the node's: mapping before would map the node's own. */
    private static void awaitOwnNamespace(Process holder) throws IOException {
        Path own = Path.of("/proc/self/ns/user");
        Path its = Path.of("/proc/" + holder.pid() + "/ns/user");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String mine = Files.readSymbolicLink(own).toString();
        while (true) {
            try {
                if (!Files.readSymbolicLink(its).toString().equals(mine)) {
                    return;
                }
            } catch (IOException e) {
                if (!holder.isAlive()) {
                    throw new IOException("unshare --user could not make a user namespace (exit "
                            + holder.exitValue() + "): are user namespaces disabled?");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("unshare --user made no user namespace within 10 s");
            }
            try {
                Thread.sleep(5); // the holder's exec takes milliseconds; nothing to wait on but its /proc entry
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the jobs' user namespace was made", e);
            }
        }
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within 10 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
                    + JobText.printable(out, 400));
        }
    }

    private static Path tool(String name) throws IOException {
        return SandboxProbe.onPath(name).orElseThrow(() -> new IOException(name + " is not installed"
                + (name.startsWith("new") ? " (Debian and Ubuntu: apt install uidmap)" : "")));
    }
}
