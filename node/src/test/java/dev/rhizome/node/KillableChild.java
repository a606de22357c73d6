package dev.rhizome.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A class's {@code main} in a JVM of its own on this classpath, each line it prints handed to the
 * test on a thread of its own, killed with SIGKILL (as by kill -9: no shutdown hook runs) at a
 * moment the test picks: how the kill tests catch a write, an import or a prune in the middle.
 */
public final class KillableChild {
    private final Process process;
    private final Thread reader;

    private KillableChild(Process process, Consumer<String> onLine) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    onLine.accept(line);
                }
            } catch (IOException e) {
                // the child's end closed by the kill
            }
        }, "child-output");
        reader.start();
    }

    /** Starts {@code main} with these JVM options and arguments; its standard error is discarded. */
    public static KillableChild start(Class<?> main, List<String> jvmOptions, Consumer<String> onLine, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return new KillableChild(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start(),
                onLine);
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Spins until {@code moment} holds (the moments caught are short), the child ends, or {@code
     * giveUp} passes (a hang, not a speed check); fails if the child ended by itself; then kills it
     * and waits for it and for the last of its lines.
     */
    public void killWhen(BooleanSupplier moment, Duration giveUp, String what) throws InterruptedException {
        try {
            long end = System.nanoTime() + giveUp.toNanos();
            while (process.isAlive() && !moment.getAsBoolean() && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            assertThat(process.isAlive()).as("the %s died by itself", what).isTrue();
        } finally {
            process.destroyForcibly();
            process.waitFor();
            reader.join();
        }
    }
}
