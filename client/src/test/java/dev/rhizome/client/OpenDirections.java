package dev.rhizome.client;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Seeds and directions on a real coordinator for tests of what the commands read back, with no
 * repository behind them: the tiny-lm manifest at one replica a trial (one result decides it), a
 * random base commit. Read-side tests each had a copy of this.
 */
final class OpenDirections {
    private static final SecureRandom RANDOM = new SecureRandom();

    private OpenDirections() {
    }

    /** Publishes seed {@code name} (one replica a trial) and opens each of {@code directions} at its commit. */
    static Seed seed(CoordinatorClient operator, String name, String... directions) throws CoordinatorException {
        return seed(operator, name, TinyLmSeed.manifest().toBuilder().setQuorum(1).clearTrustedProposers().build(),
                directions);
    }

    /** The same, with a manifest of the test's own (a hardware class it needs, say). */
    static Seed seed(CoordinatorClient operator, String name, Manifest manifest, String... directions)
            throws CoordinatorException {
        Seed seed = Seed.newBuilder().setName(name).setCommit(commit()).setManifest(manifest)
                .setPublisher(operator.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis())
                .build();
        operator.publishSeed(seed);
        for (String direction : directions) {
            open(operator, seed, direction);
        }
        return seed;
    }

    static void open(CoordinatorClient operator, Seed seed, String direction) throws CoordinatorException {
        operator.openDirection(Direction.newBuilder().setName(direction).setSeed(seed.getName())
                .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                .setOpenedMs(System.currentTimeMillis()).build());
    }

    static void close(CoordinatorClient operator, String direction) throws CoordinatorException {
        operator.closeDirection(DirectionClosure.newBuilder().setName(direction).setReason("done")
                .setClosedMs(System.currentTimeMillis()).setClosedBy(operator.identity().publicId().toByteString())
                .build());
    }

    /** Registers a random commit on {@code seed}'s base in {@code direction}, as {@code proposer}'s experiment; its id. */
    static String register(CoordinatorClient proposer, Seed seed, String direction, String description)
            throws CoordinatorException {
        String commit = commit();
        proposer.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection(direction)
                .setCommit(commit).setParent(seed.getCommit()).setProposer(proposer.identity().publicId().toByteString())
                .setDescription(description).setCreatedMs(System.currentTimeMillis()).build());
        return commit;
    }

    /** A random commit id (40 hex digits). */
    static String commit() {
        byte[] b = new byte[20];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
