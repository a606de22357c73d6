package dev.rhizome.coordinator.service;

import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.Envelopes;
import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.Results;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.coordinator.store.Units;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.coordinator.core.WriteQuota;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Registers proposed commits and queues the replicas that will judge them. */
public final class ExperimentRegistry {
    private final Store store;
    private final Clock clock;
    private final WriteQuotas quotas;

    public ExperimentRegistry(Store store, Clock clock) {
        this(store, clock, WriteQuotas.defaults());
    }

    public ExperimentRegistry(Store store, Clock clock, WriteQuotas quotas) {
        this.store = store;
        this.clock = clock;
        this.quotas = quotas;
    }

    public Ack register(Verified<Experiment> request) {
        return register(request, "");
    }

    /** @param origin the sender's address scope, counted by the daily write limits ("" for none) */
    public Ack register(Verified<Experiment> request, String origin) {
        Experiment e = request.record();
        long now = clock.millis();
        RequestRules.commit("commit", e.getCommit());
        RequestRules.commit("parent", e.getParent());
        if (e.getCommit().equals(e.getParent())) {
            throw Rejection.badRequest("commit and parent are both " + e.getCommit());
        }
        if (!e.getSecondParent().isEmpty()) {
            RequestRules.commit("second_parent", e.getSecondParent());
            if (e.getSecondParent().equals(e.getParent()) || e.getSecondParent().equals(e.getCommit())) {
                throw Rejection.badRequest("second_parent must differ from commit and parent");
            }
        }
        return store.inTransaction(tx -> {
            Optional<Stored<Experiment>> existing = tx.experiment(e.getCommit());
            if (existing.isPresent()) {
                if (Envelopes.id(existing.get().envelope()).equals(Envelopes.id(request.envelope()))) {
                    return ack(e.getCommit(), "experiment already registered");
                }
                throw Rejection.conflict("commit " + e.getCommit() + " is already registered as an experiment of "
                        + existing.get().record().getDirection());
            }
            ReplayWindow.check("created_ms", e.getCreatedMs(), now);
            Seed seed = tx.seed(e.getSeed()).map(Stored::record)
                    .orElseThrow(() -> Rejection.notFound("unknown seed " + LogSafe.of(e.getSeed(), 60)));
            DirectionRecord direction = tx.direction(e.getDirection())
                    .orElseThrow(() -> Rejection.notFound("unknown direction " + LogSafe.of(e.getDirection(), 60)));
            String closedBecause = tx.closedDirections(List.of(direction.name())).get(direction.name());
            if (closedBecause != null) {
                throw Rejection.conflict("direction " + direction.name() + " is closed and takes no more experiments"
                        + (closedBecause.isEmpty() ? "" : ": " + closedBecause));
            }
            if (!direction.direction().getSeed().equals(seed.getName())) {
                throw Rejection.badRequest("direction " + direction.name() + " is on seed "
                        + direction.direction().getSeed() + ", not " + seed.getName());
            }
            if (!Manifests.trusts(seed.getManifest(), e.getProposer())) {
                throw Rejection.forbidden("seed " + seed.getName() + " does not trust proposer "
                        + PublicId.hex(e.getProposer()) + " (see trusted_proposers in its manifest)");
            }
            if (e.getCommit().equals(seed.getCommit())) {
                throw Rejection.badRequest("commit " + e.getCommit() + " is the seed's own commit");
            }
            CommitManifests.checkExperiment(tx, seed, e.getCommit());
            boolean parentKnown = e.getParent().equals(seed.getCommit())
                    || tx.experiment(e.getParent()).filter(p -> p.record().getSeed().equals(seed.getName())).isPresent();
            if (!parentKnown) {
                throw Rejection.notFound("parent " + e.getParent() + " is neither the commit of seed " + seed.getName()
                        + " nor a registered experiment of it");
            }
            if (!e.getSecondParent().isEmpty() && !e.getSecondParent().equals(seed.getCommit())
                    && tx.experiment(e.getSecondParent()).filter(p -> p.record().getSeed().equals(seed.getName()))
                            .isEmpty()) {
                throw Rejection.notFound("second parent " + e.getSecondParent() + " is neither the commit of seed "
                        + seed.getName() + " nor a registered experiment of it");
            }
            if (!e.getWorkUnitId().isEmpty()) {
                UnitRecord unit = tx.unit(e.getWorkUnitId())
                        .orElseThrow(() -> Rejection.notFound("unknown work unit " + LogSafe.of(e.getWorkUnitId(), 60)));
                if (unit.kind() != WorkUnit.Kind.EXPLORE || !unit.direction().equals(direction.name())) {
                    throw Rejection.badRequest("work unit " + unit.id() + " is not an EXPLORE unit of direction "
                            + direction.name());
                }
                ExplorationLease.check(unit, e.getProposer(), now);
            }
            ProposerThrottle.refusal(tx.proposerRecord(e.getProposer()), now).ifPresent(reason -> {
                throw Rejection.forbidden(reason);
            });
            quotas.charge(tx, WriteQuota.Kind.EXPERIMENTS, e.getProposer(), origin, now);
            tx.insertExperiment(e, request.envelope(), now, ReplicaNetworks.of(origin));
            if (Manifests.confirmationSeeds(seed.getManifest()) > 0) {
                SeedSecrets.commit(tx, direction.name(), e.getCommit(), now);
            }
            return ack(e.getCommit(), "experiment registered; " + queueTrials(tx, seed, direction, e, now));
        });
    }

    /**
     * The candidate runs at every adoption seed ({@code quorum} replicas each), and the frontier
     * at every seed where it has not run yet, so the comparison is paired seed by seed.
     */
    private static <T extends Experiments & Results & Units> String queueTrials(T tx, Seed seed,
            DirectionRecord direction, Experiment e, long now) {
        Manifest manifest = seed.getManifest();
        int replicas = Manifests.quorum(manifest);
        for (long randomSeed : Manifests.trialSeeds(manifest)) {
            Settlement.queueTrial(tx, seed.getName(), direction.name(), e.getCommit(), e.getParent(), e.getProposer(),
                    randomSeed, replicas, now);
        }
        String frontier = direction.frontier().commit();
        Optional<Experiment> frontierExperiment = tx.experiment(frontier).map(Stored::record);
        int frontierTrials = Settlement.queueMissingTrials(tx, seed.getName(), manifest, direction.name(), frontier,
                frontierExperiment.map(Experiment::getParent).orElse(""),
                frontierExperiment.map(Experiment::getProposer).orElse(com.google.protobuf.ByteString.EMPTY), now);
        int seeds = Manifests.adoptionSeeds(manifest);
        return seeds * replicas + " evaluation unit(s) queued (" + seeds + " seed(s) x " + replicas + " replica(s))"
                + (frontierTrials > 0 ? ", and the frontier at " + frontierTrials + " more seed(s)" : "");
    }
}
