package dev.rhizome.node.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.KillableChild;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node SIGKILLed while its hardware probe's tool runs (nvidia-smi can take seconds, at every
 * start, where the storm's kills land): the tool's output file stayed in the temporary directory for
 * good, one more each time. Its output now comes through a pipe: nothing is written there.
 */
class ChildCommandKillTest {
    @TempDir
    Path tmp;

    /** The child: runs a tool that takes its time, as a probe would. */
    public static final class Prober {
        public static void main(String[] args) {
            ChildCommand.output(List.of("sleep", "120"), Duration.ofMinutes(5));
        }
    }

    @Test
    void aProcessKilledWhileItsToolRunsLeavesNoOutputFile() throws Exception {
        Path tmpDir = Files.createDirectories(tmp.resolve("tmpdir"));
        KillableChild child = KillableChild.start(Prober.class, List.of("-Djava.io.tmpdir=" + tmpDir), line -> { });
        AtomicReference<ProcessHandle> tool = new AtomicReference<>();
        try {
            child.killWhen(() -> {
                toolOf(child).ifPresent(tool::set);
                return tool.get() != null;
            }, Duration.ofMinutes(2), "prober");
        } finally {
            // the tool outlives its killed parent: end it (our own grandchild, found by its parent)
            if (tool.get() != null) {
                tool.get().destroyForcibly();
            }
        }
        try (Stream<Path> left = Files.list(tmpDir)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("left in the temporary directory").isEmpty();
        }
    }

    private static Optional<ProcessHandle> toolOf(KillableChild child) {
        return ProcessHandle.of(child.pid()).flatMap(p -> p.children().filter(c -> c.info().command()
                .map(cmd -> cmd.endsWith("sleep")).orElse(false)).findFirst());
    }
}
