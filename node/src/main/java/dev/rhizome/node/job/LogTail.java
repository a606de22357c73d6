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
 * descendant that keeps the output open can never block the runner.
 */
final class LogTail implements AutoCloseable {
    /** A "line" longer than this is handed over in pieces, so a job can't make us buffer without end. */
    private static final int MAX_LINE_BYTES = 64 * 1024;

    private final FileChannel channel;
    private final JobProgress progress;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long position;

    LogTail(Path file, JobProgress progress) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        this.progress = progress;
    }

    /** Bytes the file holds so far. */
    long size() throws IOException {
        return channel.size();
    }

    /** Hands over every line completed since the last call. */
    void poll() throws IOException {
        int read;
        while ((read = channel.read(buffer.clear(), position)) > 0) {
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

    /** Reads to the end and hands over a last line that has no line break. */
    void finish() throws IOException {
        poll();
        if (pending.size() > 0) {
            emit();
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
