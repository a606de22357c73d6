package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Trials;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runners' reputations, proposers' records, and the trials accepted on one trusted runner's
 * result. Part of {@link Store.Transaction}.
 */
public interface Reputations {
    /** Hardware classes in which this trial was accepted on one trusted runner's result. */
    Set<String> reputationClasses(String commit, long randomSeed);

    /**
     * {@link #reputationClasses} of every trial of the commits named, by commit and then random
     * seed (a trial with none is absent), in a few statements however many commits.
     */
    Map<String, Map<Long, Set<String>>> reputationClasses(Collection<String> commits);

    /** Trials of {@code commit} accepted on {@code runner}'s reputation alone. */
    int reputationTrialsBy(String commit, ByteString runner);

    void markAcceptedOnReputation(String commit, long randomSeed, String hardwareClass, ByteString runner);

    Optional<Reputation> reputation(ByteString runner);

    void saveReputation(ByteString runner, Reputation reputation);

    /** Every runner with a reputation, most credit first. */
    List<Map.Entry<ByteString, Reputation>> reputations();

    ProposerThrottle.Record proposerRecord(ByteString proposer);

    /**
     * Adds {@code outcomes} to the proposer's record ({@link ProposerThrottle.Record#plus}) in one
     * statement whose result depends on no read: results of one proposer settling beside each
     * other meet only on its row, for their commit, and need no lock of its key.
     */
    void addToProposerRecord(ByteString proposer, ProposerThrottle.Record outcomes);

    /** Runners with a reputation after {@code after} (from the first when empty), most credit first. */
    List<Keyed<Store.CreditKey, Reputation>> reputations(Optional<Store.CreditKey> after, int limit);
}
