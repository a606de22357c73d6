package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The job's {@code /proc/stat}: the host's as it was at the job's start, without the machine's event
 * counts. The host's {@code intr} line lists each interrupt line's count after the total, the same
 * per-line counts as {@code /proc/interrupts} ({@link BwrapCommand#INTERRUPT_COUNTS}, hidden in round 23),
 * the keyboard's among them, so a job sampling it could time the volunteer's typing; {@code softirq} and
 * {@code ctxt} move with every event of the machine. They read 0 here. The CPU lines stay (glibc counts
 * the CPUs there where {@code /sys} is absent, as it is in the sandbox; programs read the times), as do
 * the boot time and process counts, fixed at the job's start: a copy cannot move, and a live file is
 * the machine's clock.
 */
final class ProcStat {
    static final String PATH = "/proc/stat";
    /** The lines kept as the host had them at the start; others (intr, ctxt, softirq) are written as 0. */
    private static final List<String> KEPT = List.of("btime", "processes", "procs_running", "procs_blocked");
    /** The softirq line's counts after its total: one per kind of softirq (ten since Linux 2.6.34). */
    private static final int SOFTIRQ_KINDS = 10;

    private ProcStat() {
    }

    /** The job's copy of this machine's {@code /proc/stat}. */
    static String forJob() throws IOException {
        try (Reader in = Files.newBufferedReader(Path.of(PATH), StandardCharsets.US_ASCII)) {
            return forJob(in);
        }
    }

    /** The job's copy of a {@code /proc/stat} read from {@code host}. */
    static String forJob(Reader host) throws IOException {
        StringBuilder out = new StringBuilder();
        BufferedReader lines = new BufferedReader(host);
        boolean cpu = false;
        for (String line; (line = lines.readLine()) != null; ) {
            String name = line.split(" ", 2)[0];
            if (name.startsWith("cpu") || KEPT.contains(name)) {
                cpu |= name.equals("cpu");
                out.append(line).append('\n');
            } else if (name.equals("intr") || name.equals("ctxt")) {
                out.append(name).append(" 0\n");
            } else if (name.equals("softirq")) {
                out.append(name).append(" 0").append(" 0".repeat(SOFTIRQ_KINDS)).append('\n');
            }
        }
        if (!cpu) {
            throw new IOException("no cpu line in " + PATH);
        }
        return out.toString();
    }
}
