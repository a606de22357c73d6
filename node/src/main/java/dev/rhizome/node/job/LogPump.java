package dev.rhizome.node.job;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;

/**
 * Copies a sandboxed job's output into its log file, so that the job writes into a pipe and never
 * holds the file: a descriptor's link in {@code /proc/self/fd} names the file's host path even
 * where the file is not mounted, and a log lives in the node's data directory (so in its user's
 * home, by name). Appends, as the job itself did: its two streams may share one file.
 */
final class LogPump implements Runnable {
    private static final int BUFFER = 1 << 16;

    private final InputStream from;
    private final File to;

    private LogPump(InputStream from, File to) {
        this.from = from;
        this.to = to;
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

    static Thread start(String name, InputStream from, Redirect redirect) {
        Thread thread = new Thread(new LogPump(from, redirect.file()), name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = from; OutputStream out = new FileOutputStream(to, true)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the log could not be written (disk full) or the pipe broke: the job's runner sees the log as it is
        }
    }
}
