package dev.rhizome.node.git;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

/**
 * What makes a node repository's writes survive a power loss, not only a kill -9 (which the page
 * cache survives): a commit the node says it holds (to a peer, to the coordinator) must be on disk
 * before it says so. JGit forces the files it writes: a received pack and its index always (its
 * pack parser), loose objects and refs when {@code core.fsyncObjectFiles} and
 * {@code core.fsyncRefFiles} are set, which {@link #enable} sets in the open repository's
 * configuration (in memory: the repository's config file is the user's; every process on the
 * directory opens it through {@link NodeRepository#open}). JGit never forces the directory a
 * rename made its file visible in, and until that directory is on disk a power loss can undo the
 * rename (ext4 and XFS do): so, in this order, the pack directory once a received pack is moved
 * in, before any ref names its commits (a ref to a pack the power loss took is a held commit
 * without its objects); the refs' directory once they are written, before the import returns; the
 * loose objects' directories of a commit made here before its ref; the refs' directories and
 * {@code packed-refs}' after refs are dropped, before the repack that deletes what they held; and
 * the pack directory once a repack renamed its new pack in, before it deletes the old ones
 * ({@link RepoCompactor}).
 */
final class RepoSync {
    /** Forces one directory's entries to disk; a test records the order (the force itself stays real). */
    @FunctionalInterface
    interface DirectoryForce {
        void force(Path dir) throws IOException;
    }

    static final DirectoryForce DISK = DurableFiles::forceDirectory;

    private final Path gitDir;
    private final DirectoryForce force;

    RepoSync(Path gitDir, DirectoryForce force) {
        this.gitDir = gitDir;
        this.force = force;
    }

    /** Has JGit force every loose object and ref file it writes in {@code repository} before renaming it into place. */
    static void enable(Repository repository) {
        repository.getConfig().setBoolean(ConfigConstants.CONFIG_CORE_SECTION, null, "fsyncObjectFiles", true);
        repository.getConfig().setBoolean(ConfigConstants.CONFIG_CORE_SECTION, null, "fsyncRefFiles", true);
    }

    /** At open: the pack and ref directories as a process killed before its forces left them. */
    void atOpen() throws IOException {
        for (Path dir : new Path[] {gitDir.resolve("objects").resolve("pack"), gitDir.resolve(NodeRepository.COMMIT_REFS),
                gitDir.resolve(NodeRepository.OWN_REFS), gitDir}) {
            if (Files.isDirectory(dir)) {
                force.force(dir);
            }
        }
    }

    /** Whether ref files are forced before their rename ({@code core.fsyncRefFiles}): our own ref writes follow JGit's. */
    static boolean refFilesForced(Repository repository) {
        return repository.getConfig().getBoolean(ConfigConstants.CONFIG_CORE_SECTION, "fsyncRefFiles", false);
    }

    /**
     * After packs were moved into {@code objects/pack}: an import's before any ref names their
     * commits, a repack's before any old pack or loose object it replaces is deleted.
     */
    void packsMoved() throws IOException {
        force.force(gitDir.resolve("objects").resolve("pack"));
    }

    /** After loose objects {@code ids} were written (each file forced by JGit): their fan-out directories, once each. */
    void looseWritten(Collection<? extends ObjectId> ids) throws IOException {
        Set<String> fanouts = new TreeSet<>();
        for (ObjectId id : ids) {
            fanouts.add(id.name().substring(0, 2));
        }
        Path objects = gitDir.resolve("objects");
        for (String fanout : fanouts) {
            Path dir = objects.resolve(fanout);
            if (Files.isDirectory(dir)) {  // none where every object was already held in a pack
                force.force(dir);
            }
        }
        if (!fanouts.isEmpty()) {
            force.force(objects);  // a fan-out directory made for these is an entry of objects/
        }
    }

    /** After refs under {@code prefix} ({@code refs/rhizome/commits/}, {@code refs/rhizome/own/}) were written: before the write is told. */
    void refsWritten(String prefix) throws IOException {
        force.force(gitDir.resolve(prefix));
    }

    /**
     * After commit refs were deleted, before the repack that deletes what only they held: a deletion
     * undone by a power loss would leave a ref to objects the repack removed. A deleted ref that was
     * packed is also gone from {@code packed-refs}, replaced in the repository's directory.
     */
    void refsDropped() throws IOException {
        // JGit removes a ref directory the deletion left empty: then the removal is its parent's entry
        Path dir = gitDir.resolve(NodeRepository.COMMIT_REFS);
        while (!Files.isDirectory(dir) && !dir.equals(gitDir)) {
            dir = dir.getParent();
        }
        if (!dir.equals(gitDir)) {
            force.force(dir);
        }
        force.force(gitDir);
    }
}
