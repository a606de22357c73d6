package dev.rhizome.node.hardware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a vendor tool (nvidia-smi) as a child process with a deadline, as BOINC does: a wedged
 * driver can hang or crash whatever asks it, and that must not take the node down. Every failure
 * means "no answer", never an exception.
 */
public final class ChildCommand {
    private ChildCommand() {
    }

    /** The command's standard output when it exits 0 within the timeout; empty otherwise. */
    public static Optional<String> output(List<String> command, Duration timeout) {
        Path out = null;
        Process process = null;
        try {
            // A file rather than a pipe: a hung tool can't block a read we can't time out.
            out = Files.createTempFile("rhizome-child", ".out");
            process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
                return Optional.empty();
            }
            return Optional.of(Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // A stray temp file is not worth failing the probe for.
                }
            }
        }
    }
}
