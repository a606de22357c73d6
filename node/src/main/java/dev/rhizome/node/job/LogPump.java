package dev.rhizome.node.job;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.util.Optional;

/**
 * Copies a sandboxed job's output into its log file, so that the job writes into a pipe and never
 * holds the file: a descriptor's link in {@code /proc/self/fd} names the file's host path even
 * where the file is not mounted, and a log lives in the node's data directory (so in its user's
 * home, by name). Appends, as the job itself did: its two streams may share one file.
 *
 * <p>When the log cannot be written (the node's disk is full), the pump keeps reading and drops
 * what it reads, and remembers why: it used to stop reading, so the job died of a broken pipe
 * and was reported a CRASH, the proposer charged for this machine's full disk. The runner asks
 * {@link #failure} and reports nothing for such a run.
 */
final class LogPump extends Thread {
    private static final int BUFFER = 1 << 16;

    private final InputStream from;
    private final File to;
    private volatile String failure;

    private LogPump(String name, InputStream from, File to) {
        super(name);
        this.from = from;
        this.to = to;
        setDaemon(true);
    }

    /** A redirect to a file, which the job must not hold, as the pipe a pump will copy from. */
    static Redirect viaPipe(Redirect redirect) {
        return isFile(redirect) ? Redirect.PIPE : redirect;
    }

    static boolean isFile(Redirect redirect) {
        return redirect.type() == Redirect.Type.WRITE || redirect.type() == Redirect.Type.APPEND;
    }

    /** Truncates a {@link Redirect#to} file now, as the process start would have. */
    static void prepare(Redirect redirect) throws IOException {
        if (redirect.type() == Redirect.Type.WRITE) {
            new FileOutputStream(redirect.file(), false).close();
        }
    }

    static LogPump start(String name, InputStream from, Redirect redirect) {
        LogPump pump = new LogPump(name, from, redirect.file());
        pump.start();
        return pump;
    }

    /** Why part of the output is missing from the log (naming the file), if it is. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public void run() {
        byte[] buffer = new byte[BUFFER];
        OutputStream out = null;
        try (InputStream in = from) {
            out = open();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (out == null) {
                    continue;  // drained, so that the job is not killed by a broken pipe for the node's own failure
                }
                try {
                    out.write(buffer, 0, n);
                } catch (IOException e) {
                    failure = "cannot write " + to + ": " + e.getMessage();
                    closeQuietly(out);
                    out = null;
                }
            }
        } catch (IOException e) {
            // the pipe broke: the job is gone, and the runner sees the log as it is
        } finally {
            closeQuietly(out);
        }
    }

    private OutputStream open() {
        try {
            return new FileOutputStream(to, true);
        } catch (IOException e) {
            failure = "cannot open " + to + ": " + e.getMessage();
            return null;
        }
    }

    private static void closeQuietly(OutputStream out) {
        if (out == null) {
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            // FileOutputStream writes through: nothing was left to flush
        }
    }
}
