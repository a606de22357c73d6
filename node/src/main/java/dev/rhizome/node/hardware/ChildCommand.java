package dev.rhizome.node.hardware;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
        Process process = null;
        try {
            // A pipe read by a thread of its own, not a file in the temporary directory: a node killed
            // while the tool ran (seconds, at each start) left that file there for good. A hung tool
            // blocks only that thread, which is given up with the tool at the deadline.
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            CompletableFuture<byte[]> read = new CompletableFuture<>();
            InputStream out = process.getInputStream();
            Thread reader = new Thread(() -> {
                try {
                    read.complete(out.readAllBytes());
                } catch (IOException e) {
                    read.completeExceptionally(e);
                }
            }, "child-output");
            reader.setDaemon(true);
            reader.start();
            long deadline = System.nanoTime() + timeout.toNanos();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
                return Optional.empty();
            }
            // the tool exited: its output ends unless a child of its own still holds the pipe
            byte[] bytes = read.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException | ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
        }
    }
}
