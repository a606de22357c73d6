package dev.rhizome.protocol.files;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, small file system (tmpfs) that a test can fill to the last byte and empty again, for
 * the "disk full" tests of the node and the coordinator. Mounting needs root (CI runs as root);
 * elsewhere the test is skipped with the reason. Shared with other modules through this module's
 * test-jar.
 */
public final class SmallDisk implements AutoCloseable {
    private static final String FILLER = "filler";

    private final Path mountPoint;

    private SmallDisk(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code megabytes} under /tmp/disk4-*, or skips the test when not root. */
    public static SmallDisk mount(int megabytes) throws IOException, InterruptedException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "mounting a small tmpfs to fill needs root (CI runs as root)");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "disk4-");
        int rc = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", dir.toString()));
        if (rc != 0) {
            Files.deleteIfExists(dir);
            Assumptions.abort("cannot mount a tmpfs here (mount exited " + rc + ")");
        }
        return new SmallDisk(dir);
    }

    public Path root() {
        return mountPoint;
    }

    /** Writes a filler file until the disk refuses another byte. */
    public void fill() throws IOException {
        byte[] chunk = new byte[64 << 10];
        try (OutputStream out = Files.newOutputStream(mountPoint.resolve(FILLER),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            // the disk is full now; top up the last partial chunk's worth
        }
        try (OutputStream out = Files.newOutputStream(mountPoint.resolve(FILLER + "-tail"),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (true) {
                out.write(0);
                out.flush();
            }
        } catch (IOException full) {
            // not one byte more
        }
    }

    /** Deletes the filler: the space is back. */
    public void free() throws IOException {
        Files.deleteIfExists(mountPoint.resolve(FILLER));
        Files.deleteIfExists(mountPoint.resolve(FILLER + "-tail"));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("umount", "-l", mountPoint.toString()));
        Files.deleteIfExists(mountPoint);
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
