package dev.rhizome.node.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Follows a log file that a child process writes to, handing each complete line to a
 * {@link JobProgress}. The child writes to the file directly rather than to a pipe, so a
 * descendant that keeps the output open can never block the runner. Reads are bounded, per
 * call and in all, so a job that writes faster than we read can't keep us from killing it.
 * A RandomAccessFile, not a FileChannel: an interrupt must reach the runner as an interrupt, not
 * close the file under it.
 */
final class LogTail implements AutoCloseable {
    /** A "line" longer than this is handed over in pieces, so a job can't make us buffer without end. */
    private static final int MAX_LINE_BYTES = 64 * 1024;
    private static final long MAX_BYTES_PER_POLL = 1 << 20;

    private final RandomAccessFile file;
    private final JobProgress progress;
    private final long limit;
    private final byte[] buffer = new byte[8192];
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long position;

    /** Follows the first {@code limit} bytes of the file; what comes after is never read. */
    LogTail(Path file, JobProgress progress, long limit) throws IOException {
        this.file = new RandomAccessFile(file.toFile(), "r");
        this.progress = progress;
        this.limit = limit;
    }

    /** Bytes the file holds so far. */
    long size() throws IOException {
        return file.length();
    }

    /** Hands over the lines completed since the last call, up to a bounded amount of output. */
    void poll() throws IOException {
        read(Math.min(limit, position + MAX_BYTES_PER_POLL));
    }

    /** Reads to the end (or the limit) and hands over a last line that has no line break. */
    void finish() throws IOException {
        read(limit);
        if (pending.size() > 0) {
            emit();
        }
    }

    private void read(long end) throws IOException {
        while (position < end) {
            file.seek(position);
            int read = file.read(buffer, 0, (int) Math.min(buffer.length, end - position));
            if (read <= 0) {
                return;
            }
            position += read;
            for (int i = 0; i < read; i++) {
                byte b = buffer[i];
                if (b == '\n') {
                    emit();
                } else {
                    pending.write(b);
                    if (pending.size() >= MAX_LINE_BYTES) {
                        emit();
                    }
                }
            }
        }
    }

    private void emit() {
        String line = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        progress.line(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
