package dev.rhizome.node.git;

import dev.rhizome.node.job.JobText;
import java.nio.charset.StandardCharsets;
import org.eclipse.jgit.annotations.Nullable;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectChecker;

/**
 * Every object an import takes (a peer's bundle, an agent's workspace), checked as it is unpacked:
 * JGit's checks (well-formed, sorted, no duplicate entries, no {@code .}, {@code ..} or
 * {@code .git} in any case), its macOS mode's (names HFS+ reads as {@code .git}, entries that fold
 * to one name there: a workspace on a case-insensitive disk would write one over the other), and
 * this network's own: names as {@link TreeNames} allows; only regular files and trees, since a job's
 * checkout writes nothing else and a symbolic link or submodule in an agent's workspace would
 * point out of it (JGit writes links there as they are: an agent editing {@code train.py} linked to
 * {@code ~/.bashrc} edits that); and commits a history has a use for, not a place for megabytes of
 * text or thousands of parents that every walk of the history then parses.
 */
final class ImportedObjectChecker extends ObjectChecker {
    /** Parents of one commit: git's octopus merges stop far below; this network never merges. */
    static final int MAX_PARENTS = 64;
    /** A commit's bytes, message included: kept whole in memory by every walk that parses it. */
    static final int MAX_COMMIT_BYTES = 1 << 20;

    private static final byte[] PARENT = Constants.encodeASCII("parent ");

    ImportedObjectChecker() {
        setSafeForMacOS(true);
    }

    @Override
    public void checkCommit(@Nullable AnyObjectId id, byte[] raw) throws CorruptObjectException {
        super.checkCommit(id, raw);
        if (raw.length > MAX_COMMIT_BYTES) {
            throw corrupt(id, "commit of " + raw.length + " bytes (at most " + MAX_COMMIT_BYTES + ")");
        }
        // Well formed (checked above): a tree line of 46 bytes, then the parent lines, 48 bytes each.
        int parents = 0;
        for (int at = 46; startsWith(raw, at, PARENT); at += 48) {
            if (++parents > MAX_PARENTS) {
                throw corrupt(id, "commit with more than " + MAX_PARENTS + " parents");
            }
        }
    }

    @Override
    public void checkTree(@Nullable AnyObjectId id, byte[] raw) throws CorruptObjectException {
        super.checkTree(id, raw);
        // Well formed (checked above): entries of "<octal mode> <name>\0<20-byte id>".
        int at = 0;
        while (at < raw.length) {
            int mode = 0;
            while (raw[at] != ' ') {
                mode = (mode << 3) + (raw[at++] - '0');
            }
            int nameStart = ++at;
            while (raw[at] != 0) {
                at++;
            }
            String shown = shown(raw, nameStart, at);
            if (mode == FileMode.SYMLINK.getBits()) {
                throw corrupt(id, "tree with a symbolic link " + shown + " (only files and directories are taken)");
            }
            if (mode == FileMode.GITLINK.getBits()) {
                throw corrupt(id, "tree with a submodule " + shown + " (only files and directories are taken)");
            }
            String problem = TreeNames.problem(raw, nameStart, at);
            if (problem != null) {
                throw corrupt(id, "tree with " + problem + ": " + shown);
            }
            at += 1 + Constants.OBJECT_ID_LENGTH;
        }
    }

    private static boolean startsWith(byte[] raw, int at, byte[] prefix) {
        if (at + prefix.length > raw.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (raw[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** A stranger's name, printable ({@link JobText}): refusals reach logs and terminals. */
    private static String shown(byte[] raw, int from, int to) {
        return "'" + JobText.printable(new String(raw, from, to - from, StandardCharsets.UTF_8), 120) + "'";
    }

    private static CorruptObjectException corrupt(@Nullable AnyObjectId id, String why) {
        return id == null ? new CorruptObjectException(why) : new CorruptObjectException(id, why);
    }
}
