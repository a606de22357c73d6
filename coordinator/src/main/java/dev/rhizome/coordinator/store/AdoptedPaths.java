package dev.rhizome.coordinator.store;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Each direction's adopted path kept as rows (migration 25; {@code service.AdoptedPath} decides
 * what goes in): the commits that are its frontier or the frontier's ancestors, through either
 * parent, among those registered after the direction was opened (an older commit has no ancestor
 * of the direction's own). Kept with the frontier it was written for, so that a path an older
 * coordinator left behind (it moved the frontier and wrote no row) is known stale. Part of
 * {@link Store.Transaction}.
 */
public interface AdoptedPaths {
    /**
     * A direction as its path sees it: the envelope it was opened in, the frontier its kept path
     * was written for (empty when none is kept), and whether that path is one chain of first
     * parents (no merge on it), whose depths then grow from its oldest commit to the frontier.
     */
    record PathHead(long openedSeq, Optional<String> frontier, boolean chain) {
    }

    /** An experiment as the path's walk needs it: when it was registered and its parents ("" for none). */
    record Ancestry(long seq, String parent, String secondParent) {
    }

    /** The direction's head, empty for an unknown direction. */
    Optional<PathHead> pathHead(String direction);

    /** The registered experiment's place in the history, empty when the commit is no experiment (a seed's). */
    Optional<Ancestry> ancestry(String commit);

    /** The commit's depth on the direction's kept path, empty when it is not on it. */
    OptionalLong pathDepth(String direction, String commit);

    /**
     * Whether {@code commit} is on the direction's kept path, one row read: empty when the path
     * kept is not {@code frontier}'s (none kept yet, or left stale).
     */
    Optional<Boolean> onKeptPath(String direction, String frontier, String commit);

    /** Drops the commits of the direction's path deeper than {@code depth} (all of them at -1). */
    void dropPathAbove(String direction, long depth);

    /** Puts a commit on the direction's path at {@code depth} (0 on a path that is no chain). */
    void addToPath(String direction, String commit, long depth);

    /** Says the direction's path is now {@code frontier}'s, one chain or not. */
    void setPathHead(String direction, String frontier, boolean chain);
}
