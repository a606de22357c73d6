package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.seed.Manifests;
import java.util.Optional;
import java.util.UUID;

/** Makes work units and describes them as the node receives them. */
final class UnitFactory {
    /** Peers listed in a unit: enough to fetch from, few enough to keep the response small. */
    static final int PEERS_PER_UNIT = 8;

    private UnitFactory() {
    }

    static UnitRecord evaluation(String seed, String direction, String commit, String parent, ByteString proposer,
            long nowMs) {
        return UnitRecord.open(newId(), WorkUnit.Kind.EVALUATE, seed, direction, commit, parent, proposer, nowMs);
    }

    static UnitRecord exploration(String seed, String direction, String frontierCommit, long nowMs) {
        return UnitRecord.open(newId(), WorkUnit.Kind.EXPLORE, seed, direction, frontierCommit, "", ByteString.EMPTY,
                nowMs);
    }

    static WorkUnit describe(Store.Transaction tx, UnitRecord unit) {
        WorkUnit.Builder b = WorkUnit.newBuilder()
                .setId(unit.id())
                .setKind(unit.kind())
                .setSeed(unit.seed())
                .setDirection(unit.direction())
                .setCommit(unit.commit())
                .setParent(unit.parent())
                .setLeaseDeadlineMs(unit.leaseDeadlineMs())
                .setProposer(unit.proposer())
                .setAttempt(unit.attempts())
                .addAllPeers(tx.peers(unit.commit(), PEERS_PER_UNIT));
        Optional<Seed> seed = tx.seed(unit.seed()).map(s -> s.record());
        seed.ifPresent(s -> b
                .setManifest(s.getManifest())
                .setBudget(s.getManifest().getBudget())
                .setRandomSeed(tx.unitRandomSeed(unit.id()).orElse(s.getManifest().getRandomSeed()))
                .setSeedCommit(s.getCommit()));
        if (unit.kind() == WorkUnit.Kind.EXPLORE) {
            // The explorer varies only the knobs its direction is about.
            tx.direction(unit.direction()).ifPresent(d -> b.addAllKnobs(d.direction().getKnobsList()));
        } else if (seed.filter(s -> Manifests.confirmationSeeds(s.getManifest()) > 0).isPresent()) {
            // The runner signs it back: its attestation that the commitment existed before it ran.
            // A candidate has one only where its seed draws confirmation seeds (ExperimentRegistry):
            // elsewhere there is none to read, a statement a claim saved.
            SeedSecrets.commitment(tx, unit.commit()).ifPresent(b::setSeedCommitment);
        }
        return b.build();
    }

    /** A unit as {@code GET /v1/units} lists it, with what its starved give-backs come to at {@code nowMs}. */
    static UnitStatus status(Store.Transaction tx, UnitRecord unit, StarvedGiveBacks.Standing starved, long nowMs) {
        UnitStatus.Builder b = UnitStatus.newBuilder()
                .setUnit(describe(tx, unit))
                .setState(unit.state())
                .setAttempts(unit.attempts())
                .setExpiredLeases(unit.expiredLeases());
        if (unit.kind() == WorkUnit.Kind.EVALUATE && starved.networks() > 0) {
            b.setStarvedNetworks(starved.networks()).setChargeIfStarved(starved.charged(nowMs));
            if (unit.state() == UnitStatus.State.OPEN && starved.waitsForACoreToSpare(nowMs)) {
                b.setWaitingFor(StarvedGiveBacks.CORE_TO_SPARE).setOpenToAnyMs(starved.waitsUntilMs());
            }
        }
        if (unit.state() != UnitStatus.State.OPEN) {
            b.setHolder(unit.holder());
        }
        if (unit.state() == UnitStatus.State.DONE && unit.kind() == WorkUnit.Kind.EVALUATE) {
            tx.abandonment(unit.commit()).ifPresent(b::setGivenUp);
        }
        return b.build();
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }
}
