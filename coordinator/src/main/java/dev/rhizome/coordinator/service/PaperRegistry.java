package dev.rhizome.coordinator.service;

import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.Envelopes;
import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.coordinator.core.WriteQuota;
import java.time.Clock;

/** Keeps the short signed findings that agents read before they start. */
public final class PaperRegistry {
    private final Store store;
    private final Clock clock;
    private final WriteQuotas quotas;

    public PaperRegistry(Store store, Clock clock) {
        this(store, clock, WriteQuotas.defaults());
    }

    public PaperRegistry(Store store, Clock clock, WriteQuotas quotas) {
        this.store = store;
        this.clock = clock;
        this.quotas = quotas;
    }

    public Ack publish(Verified<Paper> request) {
        return publish(request, "");
    }

    /** @param origin the sender's address scope, counted by the daily write limits ("" for none) */
    public Ack publish(Verified<Paper> request, String origin) {
        Paper paper = request.record();
        String id = Envelopes.id(request.envelope());
        long now = clock.millis();
        RequestRules.paper(paper);
        return store.inTransaction(tx -> {
            if (tx.hasPaper(id)) {
                return ack(id, "paper already published");
            }
            ReplayWindow.check("created_ms", paper.getCreatedMs(), now);
            if (tx.direction(paper.getDirection()).isEmpty()) {
                throw Rejection.notFound("unknown direction " + LogSafe.of(paper.getDirection(), 60));
            }
            for (String commit : paper.getCommitsList()) {
                requireExperimentOf(tx, paper.getDirection(), commit);
            }
            for (String cited : paper.getCitesList()) {
                if (!cited.matches("[0-9a-f]{64}")) {
                    throw Rejection.badRequest("cites must be paper ids (64 lower-case hex digits), got '"
                            + LogSafe.of(cited, 60) + "'");
                }
                if (!tx.hasPaper(cited)) {
                    throw Rejection.notFound("cited paper " + cited + " is not published");
                }
            }
            quotas.charge(tx, WriteQuota.Kind.PAPERS, paper.getAuthor(), origin, now);
            tx.insertPaper(paper, request.envelope(), id, now);
            return ack(id, "paper published");
        });
    }

    /**
     * A paper is a finding about experiments of its direction: one citing a commit that was never
     * run there (made up, another direction's, or the base) would be shown beside those commits'
     * reports and results as if it were about them. `rhizome publish` says the same before it sends.
     */
    private static void requireExperimentOf(Store.Transaction tx, String direction, String commit) {
        Experiment experiment = tx.experiment(commit).map(Stored::record).orElseThrow(() -> Rejection.notFound(
                "commit " + commit + " is not a registered experiment of direction " + direction
                        + ": a paper is about experiments submitted to its direction"));
        if (!experiment.getDirection().equals(direction)) {
            throw Rejection.badRequest("commit " + commit + " is an experiment of direction "
                    + experiment.getDirection() + ", not of " + direction
                    + ": a paper is about experiments of one direction, its own");
        }
    }
}
