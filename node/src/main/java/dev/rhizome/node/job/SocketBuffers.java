package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Bounds the bytes a job keeps queued in its TCP and UDP sockets. The kernel counts them against
 * limits of the whole machine ({@code net.ipv4.tcp_mem} and {@code udp_mem}, in pages, some 5% of
 * memory by default), not per user, namespace or process; RLIMIT_AS does not count them, and a
 * cgroup's memory limit does not take them out of the machine's count. A job of 50 loopback
 * connections written full and never read queued 189 MiB (measured, Linux 6.18): some 150 reach
 * tcp_mem's pressure mark, past which every TCP socket of the machine (the volunteer's, the node's
 * own gossip and coordinator calls) is held to its smallest buffers, and some 300, far within the
 * job's descriptors, its top, past which none may take more.
 *
 * <p>The node reads the job's {@code /proc/<pid>/net/tcp}, {@code tcp6}, {@code udp} and
 * {@code udp6} once a second, of a process in the job's network namespace, which is its own and
 * so lists the job's sockets only (and those it closed with data still queued, which no descriptor
 * holds), sums each one's send and receive queues, and stops the job past a quarter of tcp_mem's
 * pressure mark, a share of it for each job ({@link NodeShare}). Training's own traffic on
 * loopback (a distributed rendezvous, gloo's collectives) keeps a few buffers' worth queued.
 */
final class SocketBuffers implements TreeRule {
    /** A share is never cut below this. */
    static final long MIN_SHARE = 16L << 20;
    /** What the node lets its jobs queue where the kernel's mark cannot be read. */
    static final long WITHOUT_MARK = 256L << 20;
    /** The tables of the sockets the machine-wide limits count. */
    static final List<String> TABLES = List.of("tcp", "tcp6", "udp", "udp6");
    /** A listening TCP socket's state: its queues are counts of connections, not bytes. */
    private static final String LISTEN = "0A";

    private final Path proc;
    private final long maxBytes;

    SocketBuffers(Path proc, long maxBytes) {
        this.proc = proc;
        this.maxBytes = maxBytes;
    }

    /** The rule for one job of a {@link NodeShare}: its share of {@link #nodeWide}. */
    static TreeRule forJob(NodeShare share) {
        return TreeRule.onceASecond(new SocketBuffers(Path.of("/proc"), limitFor(share)));
    }

    static long limitFor(NodeShare share) {
        return share.of(nodeWide(Path.of("/proc/sys/net/ipv4/tcp_mem")), MIN_SHARE);
    }

    /**
     * A quarter of the pressure mark in {@code tcpMem} ("low pressure high", in pages; counted as
     * pages of 4 KiB, so a kernel of larger pages gets a smaller bound, never a larger one).
     */
    static long nodeWide(Path tcpMem) {
        try {
            String[] marks = Files.readString(tcpMem, StandardCharsets.US_ASCII).trim().split("\\s+");
            return Math.max(MIN_SHARE, Long.parseLong(marks[1]) * 4096 / 4);
        } catch (IOException | RuntimeException e) {
            return WITHOUT_MARK;
        }
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        Optional<Path> net = jobsNetwork(alive);
        if (net.isEmpty()) {
            return Optional.empty();
        }
        long queued = 0;
        for (String table : TABLES) {
            try (BufferedReader in = Files.newBufferedReader(net.get().resolve(table), StandardCharsets.US_ASCII)) {
                in.readLine(); // the header
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    queued += queuedBytes(line);
                    if (queued > maxBytes) {
                        return Optional.of("it kept more than " + (maxBytes >> 20) + " MiB queued in its sockets,"
                                + " which the kernel counts against the whole machine's TCP and UDP memory");
                    }
                }
            } catch (NoSuchFileException absent) {
                // a kernel without IPv6 (or that process ended): nothing to count there
            } catch (IOException | RuntimeException e) {
                // the process ended while read: the next look takes another
            }
        }
        return Optional.empty();
    }

    /**
     * The {@code /proc/<pid>/net} of one of {@code alive} in a network namespace other than the
     * node's: the job's. Its first processes (setsid, bubblewrap before it unshares) are still in
     * the node's, whose table lists the node's and the volunteer's sockets.
     */
    private Optional<Path> jobsNetwork(List<ProcessHandle> alive) {
        Path own;
        try {
            own = Files.readSymbolicLink(proc.resolve("self/ns/net"));
        } catch (IOException e) {
            return Optional.empty();
        }
        for (ProcessHandle p : alive) {
            Path pid = proc.resolve(Long.toString(p.pid()));
            try {
                if (!Files.readSymbolicLink(pid.resolve("ns/net")).equals(own)) {
                    return Optional.of(pid.resolve("net"));
                }
            } catch (IOException | RuntimeException gone) {
                // ended, or not ours to look at: another may do
            }
        }
        return Optional.empty();
    }

    /**
     * The send and receive queues of one line of a {@code /proc/net} socket table ("0: 0100007F:1F90
     * 0100007F:C350 01 00000000:003A0000 ..."; its fifth field, in hex), 0 for a listening socket.
     */
    static long queuedBytes(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 5 || f[3].equals(LISTEN)) {
            return 0;
        }
        int colon = f[4].indexOf(':');
        if (colon < 0) {
            return 0;
        }
        return Long.parseUnsignedLong(f[4].substring(0, colon), 16) + Long.parseUnsignedLong(f[4].substring(colon + 1), 16);
    }
}
