package dev.rhizome.node.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Copies one process's output into another's input, flushing after every read: the harness and
 * the model take turns, so a byte held back in a buffer would stall both. When either side ends,
 * both ends are closed, so the other process sees end of file or a broken pipe instead of waiting.
 */
final class Relay implements Runnable {
    private static final int BUFFER = 1 << 16;

    private final InputStream from;
    private final OutputStream to;

    private Relay(InputStream from, OutputStream to) {
        this.from = from;
        this.to = to;
    }

    static Thread start(String name, InputStream from, OutputStream to) {
        Thread thread = new Thread(new Relay(from, to), name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        byte[] buffer = new byte[BUFFER];
        try {
            int n;
            while ((n = from.read(buffer)) >= 0) {
                to.write(buffer, 0, n);
                to.flush();
            }
        } catch (IOException e) {
            // One side went away; closing both below tells the other.
        } finally {
            closeQuietly(to);
            closeQuietly(from);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed or broken: nothing left to tell
        }
    }
}
