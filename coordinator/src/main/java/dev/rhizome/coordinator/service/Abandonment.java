package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.AttemptCap;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Directions;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.Reputations;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Units;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.coordinator.core.Saturating;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A failed evaluation attempt (an expired lease or an UNFETCHABLE report) and, past
 * {@link AttemptCap}, giving the experiment up: every pending unit of its commit closes, so the
 * direction's queue drains and exploration goes on, and the proposer is charged as for a crash.
 */
final class Abandonment {
    private static final Logger LOG = LoggerFactory.getLogger(Abandonment.class);

    private Abandonment() {
    }

    /**
     * Applies a failed attempt of {@code failed} (already stored in its reissued or expired state);
     * returns why the experiment was given up, or empty when the unit is reissued. The runners seen
     * are the nodes that announced themselves lately (they announce every 10 s while they run), not
     * paused by their volunteers.
     */
    static Optional<String> afterFailedAttempt(Store.Transaction tx, UnitRecord failed, long nowMs) {
        int reports = (int) tx.resultEntries(failed.commit()).stream()
                .filter(e -> e.result().getWorkUnitId().equals(failed.id())
                        && e.result().getStatus() == Result.Status.UNFETCHABLE)
                .count();
        Set<ByteString> failedBy = tx.leaseHolders(failed.id());
        long since = Saturating.minus(nowMs, PeerDirectory.NODE_FRESHNESS_MS);
        // Paused nodes are left out of both counts: a node its volunteer paused runs nothing, so a network whose
        // other runners are paused gives an unfetchable commit up on the failures of those still running, where a
        // paused runner (one with standing above all) kept the bar out of reach for as long as it stayed paused,
        // and the commit circulated, each expired lease halving its runner's quota.
        Set<ByteString> runnersSeen = tx.runnersSeenSince(since, AttemptCap.MAX_FAILED_ATTEMPTS + failedBy.size());
        Set<ByteString> withStanding = new HashSet<>(tx.runnersWithStandingSeenSince(since, AttemptCap.MAX_FAILED_ATTEMPTS));
        for (ByteString key : failedBy) {
            if (tx.reputation(key).map(r -> r.valid() > 0).orElse(false)) {
                withStanding.add(key);  // a failing runner with standing counts whether it announced lately or not
            }
        }
        Optional<String> reason = AttemptCap.giveUp(failed, failedBy, runnersSeen, withStanding, reports,
                isProposal(tx, failed.commit()));
        reason.ifPresent(why -> giveUp(tx, failed, why, nowMs));
        return reason;
    }

    /** A registered experiment that no direction stands on (as its base or frontier). */
    private static <T extends Directions & Experiments> boolean isProposal(T tx, String commit) {
        return tx.experiment(commit).isPresent() && tx.directionsOn(commit).isEmpty();
    }

    private static <T extends Experiments & Reputations & Units> void giveUp(T tx, UnitRecord failed, String why,
            long nowMs) {
        if (tx.abandonment(failed.commit()).isPresent()) {
            return;
        }
        for (UnitRecord pending : tx.pendingUnitsOfCommit(failed.commit())) {
            tx.updateUnit(pending.doneBy(ByteString.EMPTY));
        }
        tx.abandonExperiment(failed.commit(), why, nowMs);
        if (!failed.proposer().isEmpty()) {
            tx.addToProposerRecord(failed.proposer(), ProposerThrottle.Record.empty().onUnfetchable(nowMs));
        }
        LOG.warn("evaluations of {} on {} given up: {}", CommitId.abbreviate(failed.commit()), failed.direction(), why);
    }
}
