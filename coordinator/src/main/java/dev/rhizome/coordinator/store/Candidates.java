package dev.rhizome.coordinator.store;

import java.util.List;

/**
 * The candidates each direction may adopt, kept as their results settle (migration 23;
 * {@code service.AdoptionCandidates} decides what goes in). Part of {@link Store.Transaction}.
 */
public interface Candidates {
    /**
     * Keeps (or moves) an experiment of {@code direction} as a candidate in one hardware class,
     * at its standing (lower is better).
     */
    void keepCandidate(String direction, String hardwareClass, String commit, double standing);

    /** The experiment is no candidate in that class (a trial no longer decided). */
    void dropCandidate(String direction, String hardwareClass, String commit);

    /**
     * Whether {@code direction} adopted {@code commit} (a look-up of that pair; each adoption notes
     * it, and drops the commit's candidacy there).
     */
    boolean wasAdopted(String direction, String commit);

    /**
     * The candidates of a direction in a class whose standing is below {@code bound}, read as one
     * range of an index, in the order their experiments were registered.
     */
    List<String> candidatesBelow(String direction, String hardwareClass, double bound);

    /** Whether every experiment of the direction is kept (opened after migration 23, or filled since). */
    boolean candidatesKept(String direction);

    /** From now on every experiment of the direction is kept. */
    void markCandidatesKept(String direction);
}
