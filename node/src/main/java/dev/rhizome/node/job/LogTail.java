package dev.rhizome.node.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Follows a log file that a child process writes to, handing each complete line to a
 * {@link JobProgress}. The child writes to the file directly rather than to a pipe, so a
 * descendant that keeps the output open can never block the runner. Reads are bounded, per
 * call and in all, so a job that writes faster than we read can't keep us from killing it.
 */
final class LogTail implements AutoCloseable {
    /** A "line" longer than this is handed over in pieces, so a job can't make us buffer without end. */
    private static final int MAX_LINE_BYTES = 64 * 1024;
    private static final long MAX_BYTES_PER_POLL = 1 << 20;

    private final FileChannel channel;
    private final JobProgress progress;
    private final long limit;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long position;

    /** Follows the first {@code limit} bytes of the file; what comes after is never read. */
    LogTail(Path file, JobProgress progress, long limit) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        this.progress = progress;
        this.limit = limit;
    }

    /** Bytes the file holds so far. */
    long size() throws IOException {
        return channel.size();
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
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
            int read = channel.read(buffer, position);
            if (read <= 0) {
                return;
            }
            position += read;
            buffer.flip();
            while (buffer.hasRemaining()) {
                byte b = buffer.get();
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
        channel.close();
    }
}
