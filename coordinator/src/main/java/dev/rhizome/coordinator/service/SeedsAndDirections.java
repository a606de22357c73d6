package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.seed.ManifestException;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.coordinator.core.WriteQuota;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalDouble;

/** Operators' records: publishing seeds and opening directions on them. */
public final class SeedsAndDirections {
    private final Store store;
    private final Clock clock;
    private final Operators operators;
    private final WriteQuotas quotas;

    public SeedsAndDirections(Store store, Clock clock, Operators operators) {
        this(store, clock, operators, WriteQuotas.defaults());
    }

    public SeedsAndDirections(Store store, Clock clock, Operators operators, WriteQuotas quotas) {
        this.quotas = quotas;
        this.store = store;
        this.clock = clock;
        this.operators = operators;
    }

    public Ack publishSeed(Verified<Seed> request) {
        return publishSeed(request, "");
    }

    /** @param origin the sender's address scope, counted by the daily write limits ("" for none) */
    public Ack publishSeed(Verified<Seed> request, String origin) {
        Seed seed = request.record();
        long now = clock.millis();
        operators.require(request.signer(), "publish seeds");
        ReplayWindow.check("published_ms", seed.getPublishedMs(), now);
        RequestRules.name("name", seed.getName());
        RequestRules.commit("commit", seed.getCommit());
        try {
            Manifests.validate(seed.getManifest());
        } catch (ManifestException e) {
            throw Rejection.badRequest(e.getMessage());
        }
        return store.inTransaction(tx -> {
            Optional<Stored<Seed>> existing = tx.seed(seed.getName());
            if (existing.isPresent()) {
                String commit = existing.get().record().getCommit();
                if (!commit.equals(seed.getCommit())) {
                    throw Rejection.conflict("seed " + seed.getName() + " is already published at commit " + commit);
                }
                return ack(seed.getName(), "seed already published");
            }
            CommitManifests.checkSeed(tx, seed);
            quotas.charge(tx, WriteQuota.Kind.SEEDS, seed.getPublisher(), origin, now);
            tx.insertSeed(seed, request.envelope(), now);
            return ack(seed.getName(), "seed published");
        });
    }

    public Ack openDirection(Verified<Direction> request) {
        return openDirection(request, "");
    }

    /** @param origin the sender's address scope, counted by the daily write limits ("" for none) */
    public Ack openDirection(Verified<Direction> request, String origin) {
        Direction direction = request.record();
        long now = clock.millis();
        operators.require(request.signer(), "open directions");
        ReplayWindow.check("opened_ms", direction.getOpenedMs(), now);
        RequestRules.name("name", direction.getName());
        RequestRules.commit("base_commit", direction.getBaseCommit());
        return store.inTransaction(tx -> {
            Seed seed = tx.seed(direction.getSeed()).map(Stored::record)
                    .orElseThrow(() -> Rejection.notFound("unknown seed " + LogSafe.of(direction.getSeed(), 60)));
            Optional<Experiment> baseExperiment = tx.experiment(direction.getBaseCommit()).map(Stored::record)
                    .filter(e -> e.getSeed().equals(seed.getName()));
            if (!direction.getBaseCommit().equals(seed.getCommit()) && baseExperiment.isEmpty()) {
                throw Rejection.notFound("base_commit " + direction.getBaseCommit() + " is neither the commit of seed "
                        + seed.getName() + " nor a registered experiment of it");
            }
            var existing = tx.direction(direction.getName());
            if (existing.isPresent()) {
                Direction known = existing.get().direction();
                if (!known.getSeed().equals(direction.getSeed()) || !known.getBaseCommit().equals(direction.getBaseCommit())) {
                    throw Rejection.conflict("direction " + direction.getName() + " is already open on seed "
                            + known.getSeed() + " at " + known.getBaseCommit());
                }
                return ack(direction.getName(), "direction already open");
            }
            quotas.charge(tx, WriteQuota.Kind.DIRECTIONS, direction.getOpenedBy(), origin, now);
            tx.insertDirection(direction, request.envelope(), now);
            return ack(direction.getName(), measureBase(tx, direction, seed, baseExperiment, now));
        });
    }

    /**
     * The base commit runs at every adoption seed where it has not run yet (the baseline); the
     * trials it already has measure it at once.
     */
    private static String measureBase(Store.Transaction tx, Direction direction, Seed seed,
            Optional<Experiment> baseExperiment, long now) {
        String base = direction.getBaseCommit();
        int queued = Settlement.queueMissingTrials(tx, seed.getName(), seed.getManifest(), direction.getName(), base,
                baseExperiment.map(Experiment::getParent).orElse(""),
                baseExperiment.map(Experiment::getProposer).orElse(ByteString.EMPTY), now);
        var measured = Settlement.frontierMetrics(tx, base, "", seed.getManifest(), now);
        if (!measured.bySeed().isEmpty()) {
            double metric = measured.mean().getAsDouble();
            tx.updateFrontier(direction.getName(), new Frontier(base, OptionalDouble.of(metric), measured.hardwareClass()));
            tx.setBaselineMetric(direction.getName(), metric);
        }
        if (queued > 0) {
            return "direction opened; baseline evaluation queued at " + queued + " seed(s)";
        }
        return measured.bySeed().isEmpty() ? "direction opened; base is being measured"
                : "direction opened; base already measured";
    }

    static Ack ack(String id, String message) {
        return Ack.newBuilder().setId(id).setMessage(message).build();
    }
}
