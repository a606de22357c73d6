package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The partial files that killed backups to other names left in a backup's directory (dated backups,
 * {@code --out coord-2026-12-06.db} each night, never come back to a name, so no later backup to
 * FILE ever removed FILE.partial). Each {@code *.partial} file there (and its SQLite
 * {@code -journal}) is found and named; it is removed only when it is certainly a killed backup of
 * this kind, that is when all hold: it is empty (killed before its first write; deleting it loses
 * nothing) or begins as this kind's copy does (SQLite's header, or pg_dump's {@code PGDMP}; a SQLite
 * copy cut before its commit, which writes page 1 last, begins with a zeroed 100-byte header), it belongs to the user running this backup, and no process this user can see has
 * it open (a backup under way holds its partial file open from its creation to its rename). Anything
 * else is left where it is and named with the reason.
 */
public final class BackupLeftovers {
    /** What a backup of a store of this kind writes first. */
    public enum Kind {
        SQLITE("SQLite format 3\0"), POSTGRES("PGDMP");

        private final byte[] head;

        Kind(String head) {
            this.head = head.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** A killed backup's file found beside the target: removed, or left with why. */
    public record Found(Path file, boolean removed, String why) {
    }

    private static final String JOURNAL = "-journal";
    /** The size of a SQLite database's header, at the start of its page 1. */
    private static final int SQLITE_HEADER_BYTES = 100;

    private BackupLeftovers() {
    }

    /**
     * What killed backups left in {@code target}'s directory: the target's own partial file (and its
     * journal, and the {@code FILE.tmp} of the name before round 30), always removed, as a backup to
     * FILE replaces it; then the partial files of backups to other names, each removed or left by the
     * rule above.
     */
    public static List<Found> clear(Path target, Kind kind) throws IOException {
        List<Found> found = new ArrayList<>();
        for (Path p : SqliteBackup.removeLeftovers(target)) {
            found.add(new Found(p, true, "the partial copy of a killed backup to " + target.getFileName()));
        }
        found.addAll(sweep(target, kind));
        return found;
    }

    /**
     * The partial files of backups to names other than {@code target} in its directory, each removed or
     * left by the rule above. The target's own partial file is {@link SqliteBackup#removeLeftovers}'s.
     */
    public static List<Found> sweep(Path target, Kind kind) throws IOException {
        Path dir = target.toAbsolutePath().normalize().getParent();
        Path own = SqliteBackup.temporary(target.toAbsolutePath().normalize()).getFileName();
        List<Path> partials = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SqliteBackup.PARTIAL_SUFFIX)) {
            for (Path f : files) {
                if (!f.getFileName().equals(own) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    partials.add(f);
                }
            }
        }
        if (partials.isEmpty()) {
            return List.of();
        }
        Set<Path> open = openFiles();
        String user = System.getProperty("user.name");
        List<Found> found = new ArrayList<>();
        for (Path f : partials) {
            String why = reasonToKeep(f, kind, open, user);
            if (why != null) {
                found.add(new Found(f, false, why));
                continue;
            }
            Path journal = f.resolveSibling(f.getFileName() + JOURNAL);
            if (Files.deleteIfExists(f)) {
                found.add(new Found(f, true, "a killed backup's partial copy"));
            }
            if (Files.isRegularFile(journal, LinkOption.NOFOLLOW_LINKS) && !open.contains(journal.toRealPath())
                    && Files.deleteIfExists(journal)) {
                found.add(new Found(journal, true, "SQLite's journal of a killed backup's partial copy"));
            }
        }
        return found;
    }

    /** Why {@code f} is not certainly a killed backup of {@code kind}; null when it is. */
    private static String reasonToKeep(Path f, Kind kind, Set<Path> open, String user) throws IOException {
        if (!Files.getOwner(f, LinkOption.NOFOLLOW_LINKS).getName().equals(user)) {
            return "left: it belongs to " + Files.getOwner(f, LinkOption.NOFOLLOW_LINKS).getName() + ", not " + user;
        }
        if (open.contains(f.toRealPath())) {
            return "left: a process has it open (a backup under way)";
        }
        byte[] head = new byte[Math.max(kind.head.length, SQLITE_HEADER_BYTES)];
        int read;
        try (InputStream in = Files.newInputStream(f)) {
            read = in.readNBytes(head, 0, head.length);
        }
        boolean begun = read >= kind.head.length && Arrays.equals(Arrays.copyOf(head, kind.head.length), kind.head);
        // VACUUM INTO writes page 1, which holds the header, at its commit: a copy cut before begins with zeros
        boolean pageOnePending = kind == Kind.SQLITE && read == head.length && Arrays.equals(head, new byte[head.length]);
        if (read > 0 && !begun && !pageOnePending) {
            return "left: it does not begin as a " + (kind == Kind.SQLITE ? "SQLite" : "pg_dump") + " backup does";
        }
        return null;
    }

    /** The files the processes this one can see hold open (Linux's /proc; none where it is not). */
    static Set<Path> openFiles() {
        Set<Path> open = new HashSet<>();
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(proc)) {
            return open;
        }
        try (Stream<Path> pids = Files.list(proc)) {
            for (Path pid : pids.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try (Stream<Path> fds = Files.list(pid.resolve("fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            open.add(Files.readSymbolicLink(fd));
                        } catch (IOException | UnsupportedOperationException gone) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException | RuntimeException notOurs) {
                    // another user's process, or one that ended
                }
            }
        } catch (IOException e) {
            // no /proc to read: nothing known open, so the owner and head decide
        }
        return open;
    }
}
