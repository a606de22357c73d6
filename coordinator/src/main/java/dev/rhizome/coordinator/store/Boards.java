package dev.rhizome.coordinator.store;

import java.util.List;

/**
 * What brings a direction's leaderboard up to date from what is new
 * ({@code service.DirectionBoard}). Part of {@link Store.Transaction}.
 */
public interface Boards {
    /**
     * A direction's results stored after envelope {@code afterSeq}, oldest first, each with
     * whether it counts toward its commit's mean now ({@link Store.BoardResult}).
     */
    List<Store.BoardResult> boardResultsAfter(String direction, long afterSeq);

    /** The key of the last change to whether a result counts ({@link #boardResultsChangedAfter}); 0 when none. */
    long lastBoardChange();

    /**
     * A direction's results whose counting changed (found INVALID by their trial, or no longer)
     * after change {@code afterChange}, each once, as it is now, oldest first.
     */
    List<Store.BoardResult> boardResultsChangedAfter(String direction, long afterChange);
}
