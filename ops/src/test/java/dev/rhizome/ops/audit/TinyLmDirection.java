package dev.rhizome.ops.audit;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;

/**
 * How the audit tests' runs begin on a real coordinator: the tiny-lm seed published by its
 * operator at a made-up commit (nothing is run, so no repository holds it) and direction "lr"
 * opened on it.
 */
final class TinyLmDirection {
    private TinyLmDirection() {
    }

    /** tiny-lm's manifest as the tests use it: val_bpb lower is better, in [0, 64], quorum 2. */
    static Manifest manifest(int adoptionSeeds) {
        return Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42).setAdoptionSeeds(adoptionSeeds)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002)
                        .setMin(0).setMax(64))
                .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(2)
                .build();
    }

    /** Publishes the seed at {@code seedCommit} and opens "lr" on it, both signed by {@code operator}. */
    static void open(String url, Identity operator, String seedCommit, Manifest manifest) throws Exception {
        CoordinatorClient op = new CoordinatorClient(url, operator);
        long now = System.currentTimeMillis();
        op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(seedCommit).setManifest(manifest)
                .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
        op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(seedCommit)
                .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());
    }
}
