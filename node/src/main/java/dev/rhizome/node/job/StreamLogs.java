package dev.rhizome.node.job;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A job's two output streams, each written to a file of its own while it runs, so that its reason
 * can say which stream said what ({@link JobReason}); sharing one file, a traceback on standard
 * error and the steps on standard output came back mixed. Once the job has ended its log holds
 * both: standard output, then standard error after a line of the node's saying so (the order
 * between the two streams is not kept).
 */
final class StreamLogs {
    static final String STDERR_HEADING = "rhizome: the job's standard error:";

    private StreamLogs() {
    }

    /** Where the job's standard error goes while it runs, beside its log. */
    static Path stderrOf(Path log) {
        return log.resolveSibling(log.getFileName() + ".stderr");
    }

    /** Appends {@code stderr} to {@code log} (which holds {@code stdout}) and returns the log's bytes. */
    static byte[] merge(Path log, byte[] stdout, byte[] stderr) throws IOException {
        if (stderr.length == 0) {
            return stdout;
        }
        boolean endsInLine = stdout.length == 0 || stdout[stdout.length - 1] == '\n';
        byte[] heading = ((endsInLine ? "" : "\n") + STDERR_HEADING + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[stdout.length + heading.length + stderr.length];
        System.arraycopy(stdout, 0, all, 0, stdout.length);
        System.arraycopy(heading, 0, all, stdout.length, heading.length);
        System.arraycopy(stderr, 0, all, stdout.length + heading.length, stderr.length);
        // through RandomAccessFile, as every write of the runner's: an interrupt must not close it under us
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
            file.seek(stdout.length);
            file.write(all, stdout.length, all.length - stdout.length);
        }
        return all;
    }
}
