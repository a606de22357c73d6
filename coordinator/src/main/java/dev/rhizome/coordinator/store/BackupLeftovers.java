package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * What killed backups left in a backup's directory, found before a backup starts. The backup's own
 * {@code FILE.partial} is replaced (a backup to FILE replaces it) unless a backup to FILE is under way,
 * which this one then refuses to race ({@link BackupPartial.InUse}); dated backups ({@code --out
 * coord-2026-12-06.db} each night) never come back to a name, so every other {@code *.partial} file
 * there (and its SQLite {@code -journal}) is found and named too, and removed only when it is certainly
 * a killed backup of this kind, that is when all hold: its lock can be taken (a backup holds an
 * exclusive lock on its partial file from its creation to its rename, {@link BackupPartial}, which
 * the kernel ends with the process, so a SIGKILLed backup's file is unlocked and a live one's, whoever
 * runs it, is not), it is empty (killed before its first write; deleting it loses nothing) or begins
 * as this kind's copy does (SQLite's header, or pg_dump's {@code PGDMP}; a SQLite copy cut before its
 * commit, which writes page 1 last, begins with a zeroed 100-byte header), and it belongs to the user
 * running this backup. A lone {@code OTHER.partial-journal} (its partial file gone: a kill between the
 * two deletions) is removed when it begins as SQLite's journal does, under the name of its partial
 * file, which this backup makes and locks for the while, so that no backup to OTHER can be under way.
 * Anything else is left where it is and named with the reason.
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

    static final String JOURNAL = "-journal";
    /** How many times a backup makes its partial file again when another backup to FILE removed it as it was made. */
    private static final int CLAIM_TRIES = 5;
    /** The size of a SQLite database's header, at the start of its page 1. */
    private static final int SQLITE_HEADER_BYTES = 100;
    /** What a SQLite rollback journal begins with (its header is zeroed where it is reset, not deleted). */
    private static final byte[] JOURNAL_MAGIC = {(byte) 0xd9, (byte) 0xd5, 0x05, (byte) 0xf9, 0x20, (byte) 0xa1, 0x63,
        (byte) 0xd7};

    private BackupLeftovers() {
    }

    /** Whether a backup failed because another backup to the same FILE is under way (its partial file locked). */
    public static boolean isInUse(IOException e) {
        return e instanceof BackupPartial.InUse;
    }

    /**
     * Makes and locks {@code target}'s partial file for a backup to it, telling {@code found} what killed
     * backups left: the target's own partial file, journal and {@code FILE.tmp} (the name before round
     * 30), removed; then the other names' partial files and lone journals, each removed or left by the
     * rule above.
     *
     * @throws BackupPartial.InUse when a backup to {@code target} is under way
     */
    static BackupPartial claim(Path target, Kind kind, Consumer<Found> found) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path own = SqliteBackup.temporary(absolute);
        String killed = "the partial copy of a killed backup to " + absolute.getFileName();
        BackupPartial claim = null;
        // two backups to FILE started at once: one makes FILE.partial, the other finds it locked (or
        // removes it as a killed one's in the moment before its maker locks it, and the maker, finding
        // its file gone, then finds the other's locked): exactly one goes on, the other is InUse
        for (int tries = 1; claim == null; tries++) {
            try {
                claim = BackupPartial.create(own);
            } catch (FileAlreadyExistsException leftover) {
                BackupPartial.Taken taken = removeUnlocked(own);
                if (taken == BackupPartial.Taken.LOCKED || tries == CLAIM_TRIES) {
                    throw new BackupPartial.InUse(own);
                }
                if (taken == BackupPartial.Taken.TAKEN) {
                    found.accept(new Found(own, true, killed));
                }
            }
        }
        try {
            // the name held: no other backup to the target writes these
            Path old = absolute.resolveSibling(absolute.getFileName() + DurableFiles.TEMP_SUFFIX);
            for (Path f : List.of(BackupPartial.journalOf(own), old, BackupPartial.journalOf(old))) {
                if (Files.deleteIfExists(f)) {
                    found.accept(new Found(f, true, killed));
                }
            }
            sweep(absolute, kind).forEach(found);
            return claim;
        } catch (IOException | RuntimeException e) {
            claim.close();
            throw e;
        }
    }

    /**
     * Removes {@code partial} (and its journal) when no backup holds it, whatever it holds: TAKEN when
     * removed, LOCKED when a backup holds it, MOVED when another backup removed or made it meanwhile.
     */
    private static BackupPartial.Taken removeUnlocked(Path partial) throws IOException {
        if (BackupPartial.heldHere(partial)) {
            return BackupPartial.Taken.LOCKED;
        }
        try (BackupPartial.Test test = BackupPartial.take(partial)) {
            if (test.taken() == BackupPartial.Taken.TAKEN) {
                Files.deleteIfExists(BackupPartial.journalOf(partial));
                Files.deleteIfExists(partial);
            }
            return test.taken();
        }
    }

    /**
     * The partial files and lone journals of backups to names other than {@code target} in its
     * directory, each removed or left by the rule above.
     */
    static List<Found> sweep(Path target, Kind kind) throws IOException {
        Path dir = target.toAbsolutePath().normalize().getParent();
        Path own = SqliteBackup.temporary(target.toAbsolutePath().normalize()).getFileName();
        Path ownJournal = BackupPartial.journalOf(own);
        List<Path> partials = new ArrayList<>();
        List<Path> journals = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SqliteBackup.PARTIAL_SUFFIX + "*")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (f.getFileName().equals(own) || f.getFileName().equals(ownJournal)
                        || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (name.endsWith(SqliteBackup.PARTIAL_SUFFIX)) {
                    partials.add(f);
                } else if (name.endsWith(SqliteBackup.PARTIAL_SUFFIX + JOURNAL)) {
                    journals.add(f);
                }
            }
        }
        String user = System.getProperty("user.name");
        List<Found> found = new ArrayList<>();
        for (Path f : partials) {
            judgePartial(f, kind, user, found);
        }
        for (Path j : journals) {
            Path partial = j.resolveSibling(j.getFileName().toString().substring(0,
                    j.getFileName().toString().length() - JOURNAL.length()));
            if (!Files.exists(partial, LinkOption.NOFOLLOW_LINKS) && Files.exists(j, LinkOption.NOFOLLOW_LINKS)) {
                judgeLoneJournal(j, partial, user, found);
            }
        }
        return found;
    }

    private static void judgePartial(Path f, Kind kind, String user, List<Found> found) throws IOException {
        if (BackupPartial.heldHere(f)) {
            found.add(new Found(f, false, "left: a backup under way in this process holds it"));
            return;
        }
        String owner = Files.getOwner(f, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(user)) {
            found.add(new Found(f, false, "left: it belongs to " + owner + ", not " + user));
            return;
        }
        try (BackupPartial.Test test = BackupPartial.take(f)) {
            if (test.taken() == BackupPartial.Taken.LOCKED) {
                found.add(new Found(f, false, "left: a backup under way holds its lock"));
                return;
            }
            if (test.taken() == BackupPartial.Taken.MOVED) {
                return;  // removed, or made again, by another backup meanwhile: not a leftover this one found
            }
            String why = reasonToKeep(test.channel(), kind);
            if (why != null) {
                found.add(new Found(f, false, why));
                return;
            }
            // under the test's lock no backup makes this name its own: the journal first, so a kill
            // between the two leaves the partial file, found again by this rule
            Path journal = BackupPartial.journalOf(f);
            if (Files.isRegularFile(journal, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(journal)) {
                found.add(new Found(journal, true, "SQLite's journal of a killed backup's partial copy"));
            }
            if (Files.deleteIfExists(f)) {
                found.add(new Found(f, true, "a killed backup's partial copy"));
            }
        } catch (java.nio.file.AccessDeniedException readOnly) {
            found.add(new Found(f, false, "left: it cannot be opened for writing, which testing its lock takes"));
        }
    }

    private static void judgeLoneJournal(Path journal, Path partial, String user, List<Found> found) throws IOException {
        String owner = Files.getOwner(journal, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(user)) {
            found.add(new Found(journal, false, "left: it belongs to " + owner + ", not " + user));
            return;
        }
        byte[] head = new byte[JOURNAL_MAGIC.length];
        int read;
        try (var in = Files.newInputStream(journal, LinkOption.NOFOLLOW_LINKS)) {
            read = in.readNBytes(head, 0, head.length);
        } catch (java.nio.file.NoSuchFileException gone) {
            return;
        }
        boolean journalHead = Arrays.equals(head, 0, read, JOURNAL_MAGIC, 0, read)
                || Arrays.equals(head, 0, read, new byte[read], 0, read);
        if (!journalHead) {
            found.add(new Found(journal, false, "left: its partial file is gone and it does not begin as SQLite's "
                    + "journal does"));
            return;
        }
        // the partial file's name made and locked while the journal goes: no backup to it is under way
        BackupPartial claim;
        try {
            claim = BackupPartial.create(partial);
        } catch (FileAlreadyExistsException begun) {
            return;  // a backup to that name began meanwhile: the journal is its own now
        }
        try (claim) {
            if (Files.deleteIfExists(journal)) {
                found.add(new Found(journal, true, "SQLite's journal of a killed backup's partial copy, its partial "
                        + "file gone"));
            }
        }
    }

    /** Why the file open on {@code channel} is not certainly a killed backup of {@code kind}; null when it is. */
    private static String reasonToKeep(FileChannel channel, Kind kind) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.max(kind.head.length, SQLITE_HEADER_BYTES));
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
            // read from the same channel as the lock: closing another would end the test's lock
        }
        int read = buffer.position();
        byte[] head = Arrays.copyOf(buffer.array(), read);
        boolean begun = read >= kind.head.length && Arrays.equals(head, 0, kind.head.length, kind.head, 0,
                kind.head.length);
        // VACUUM INTO writes page 1, which holds the header, at its commit: a copy cut before begins with zeros
        boolean pageOnePending = kind == Kind.SQLITE && read == SQLITE_HEADER_BYTES
                && Arrays.equals(head, new byte[SQLITE_HEADER_BYTES]);
        if (read > 0 && !begun && !pageOnePending) {
            return "left: it does not begin as a " + (kind == Kind.SQLITE ? "SQLite" : "pg_dump") + " backup does";
        }
        return null;
    }
}
