package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Registered experiments (a commit proposed on a direction) and the ones given up. Part of
 * {@link Store.Transaction}.
 */
public interface Experiments {
    Optional<Stored<Experiment>> experiment(String commit);

    /** Of one direction, or all when {@code direction} is empty, in the order registered. */
    List<Stored<Experiment>> experiments(String direction);

    /** The experiments of the commits named that are experiments (one read of all), in no particular order. */
    List<Stored<Experiment>> experiments(Collection<String> commits);

    /** Stores an experiment registered from no known network (a replay, a test's store). */
    default void insertExperiment(Experiment experiment, SignedEnvelope envelope, long nowMs) {
        insertExperiment(experiment, envelope, nowMs, "");
    }

    /**
     * Stores an experiment registered from {@code network} ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}
     * of the request's origin; "" for none): a proposer that registers its own commit with no
     * exploration's lease showed no other network, and a spot check counts this one as its.
     */
    void insertExperiment(Experiment experiment, SignedEnvelope envelope, long nowMs, String network);

    /**
     * The network the commit's experiment was registered from ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}
     * of the request's origin): "" for none known, for one stored before migration 30 and for a
     * commit no experiment registered. Its trials are kept off that network.
     */
    String experimentNetwork(String commit);

    /** Marks a commit's evaluations given up, with why; replaces the reason if already marked. */
    void abandonExperiment(String commit, String reason, long nowMs);

    /** Why the commit's evaluations were given up, or empty when they were not. */
    Optional<String> abandonment(String commit);

    /** Experiments registered on a direction (all when empty). */
    int countExperiments(String direction);

    /** Of one direction, or all when empty, registered after envelope {@code afterSeq}, oldest first. */
    List<Keyed<Long, Stored<Experiment>>> experiments(String direction, long afterSeq, int limit);

    /** A direction's newest {@code limit} experiments, newest first. */
    default List<Stored<Experiment>> newestExperiments(String direction, int limit) {
        return newestExperiments(direction, Long.MAX_VALUE, limit).stream().map(Keyed::value).toList();
    }

    /** A direction's experiments registered before envelope {@code beforeSeq}, newest first. */
    List<Keyed<Long, Stored<Experiment>>> newestExperiments(String direction, long beforeSeq, int limit);
}
