package dev.rhizome.protocol.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessLockTest {
    @TempDir
    Path tmp;

    /** The other process: takes the lock, says so, and holds it until killed or its stdin closes. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            try (ProcessLock lock = ProcessLock.acquire(Path.of(args[0]), "the test directory")) {
                System.out.println("held");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // wait
                }
            }
        }
    }

    @Test
    void aSecondProcessIsRefusedByNameAndPidUntilTheFirstIsKilled() throws Exception {
        Path file = tmp.resolve("node.lock");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("held");

            assertThatThrownBy(() -> ProcessLock.acquire(file, "the node data directory " + tmp))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("the node data directory " + tmp + " is in use by another running process")
                    .hasMessageContaining("(pid " + holder.pid() + ")");

            // what follows needs it gone: a 10 s wait whose answer went unread let a slow exit race the next step
            assertThat(holder.destroyForcibly().waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();
            try (ProcessLock mine = ProcessLock.acquire(file, "the node data directory")) {
                assertThat(file).hasContent(Long.toString(ProcessHandle.current().pid()));
            }
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void oneOwnerInThisProcessToo() throws Exception {
        Path file = tmp.resolve("coordinator.db.lock");
        try (ProcessLock first = ProcessLock.acquire(file, "the store")) {
            assertThatThrownBy(() -> ProcessLock.acquire(file, "the store"))
                    .hasMessageContaining("the store is in use by another running process");
        }
        try (ProcessLock again = ProcessLock.acquire(file, "the store")) {
            assertThat(file).exists();
        }
    }
}
