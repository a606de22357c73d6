package dev.rhizome.node.git;

import dev.rhizome.node.api.ProcessStamp;
import dev.rhizome.node.job.JobDirs;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bundles a node (or an agent's {@code rhizome} command) keeps in the temporary directory while
 * it fetches one from a peer ({@code rhizome-fetch-PID-*.bundle}) or imports a workspace's commits
 * ({@code rhizome-import-PID-*.bundle}). Each is deleted when its transfer ends; a process killed in
 * the middle leaves it, and nothing but the system's temporary-file cleaner (days, or never) would
 * delete it, so every crash during a fetch left up to a bundle's size (64 MiB) behind, in a
 * directory that is often memory. The writer's pid and start in the name
 * ({@code rhizome-fetch-PID-tTICKS-*.bundle}, {@link ProcessStamp}) tell the next start which are
 * leftovers: those whose process is gone or whose pid names a process of another start (a pid
 * used again). A name of the older kind ({@code rhizome-fetch-PID-*.bundle}) is a leftover when its
 * pid is gone or names a process started after the file was last written, a rule of wall-clock
 * times that a clock set forward breaks (a living writer's file then read as older than its
 * writer), which is why the start went into the name. Files of other users, and of live writers
 * (another node on the same machine, an agent importing), are left alone.
 */
public final class TempBundles {
    /** A fetched bundle spilled past its memory limit ({@code peer.ReceivedBytes}). */
    public static final String FETCH = "fetch";
    /** A workspace's commits on their way into the repository ({@link NodeRepository#importFrom}). */
    public static final String IMPORT = "import";

    private static final Pattern NAME = Pattern.compile("rhizome-(?:" + FETCH + "|" + IMPORT
            + ")-(\\d{1,18})-(?:t(\\d{1,18})-)?[^/]*\\.bundle");

    private TempBundles() {
    }

    /** A new, empty, owner-only file in the temporary directory, named with this process's pid and start. */
    public static Path create(String kind) throws IOException {
        return Files.createTempFile("rhizome-" + kind + "-" + ProcessStamp.current().name() + "-", ".bundle");
    }

    /** {@link #removeLeftovers(Path)} in {@code java.io.tmpdir}. */
    public static List<Path> removeLeftovers() throws IOException {
        return removeLeftovers(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Deletes this user's temporary bundles in {@code tmpDir} whose writer is gone; what it deleted. */
    public static List<Path> removeLeftovers(Path tmpDir) throws IOException {
        List<Path> removed = new ArrayList<>();
        Integer me = JobDirs.myUid();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tmpDir, "rhizome-*.bundle")) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                try {
                    if (m.matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                            && me.equals(Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                            && writerGone(Long.parseLong(m.group(1)), m.group(2), f) && Files.deleteIfExists(f)) {
                        removed.add(f);
                    }
                } catch (NoSuchFileException | NumberFormatException e) {
                    // deleted by its writer meanwhile; a pid too long for a long is no pid of ours
                }
            }
        } catch (NoSuchFileException e) {
            return removed;
        }
        return removed;
    }

    private static boolean writerGone(long pid, String ticks, Path file) throws IOException {
        if (ticks != null) {
            return !new ProcessStamp(pid, Long.parseLong(ticks), true).alive();
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive()) {
            return true;
        }
        Optional<Instant> started = process.get().info().startInstant();
        Instant written = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
        return started.isPresent() && started.get().isAfter(written);
    }
}
