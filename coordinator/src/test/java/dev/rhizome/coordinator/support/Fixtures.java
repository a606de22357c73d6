package dev.rhizome.coordinator.support;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Records for tests: a tiny CPU seed and well-formed requests around it. */
public final class Fixtures {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Fixtures() {
    }

    public static String commit() {
        byte[] id = new byte[20];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /** One adoption seed: the tests of leases, durability and requests don't need the paired rule. */
    public static Manifest manifest(int quorum, double tolerance) {
        return manifest(quorum, tolerance, 1);
    }

    public static Manifest manifest(int quorum, double tolerance, int adoptionSeeds) {
        return Manifest.newBuilder()
                .setAdoptionSeeds(adoptionSeeds)
                .setName("tiny-lm")
                .addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400))
                .setRandomSeed(42)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(tolerance))
                .addEditableFiles("config.properties")
                .setHardwareClass("any")
                .setTimeoutSeconds(60)
                .setQuorum(quorum)
                .build();
    }

    public static Seed seed(Identity publisher, String name, String commit, Manifest manifest, long nowMs) {
        return Seed.newBuilder().setName(name).setCommit(commit).setManifest(manifest)
                .setPublisher(publisher.publicId().toByteString()).setPublishedMs(nowMs).build();
    }

    public static Direction direction(Identity operator, String name, String seed, String base, long nowMs) {
        return Direction.newBuilder().setName(name).setSeed(seed).setBaseCommit(base).setDescription("test direction")
                .addKnobs("learning_rate")
                .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(nowMs).build();
    }

    public static Experiment experiment(Identity proposer, String seed, String direction, String commit, String parent,
            long nowMs) {
        return Experiment.newBuilder().setSeed(seed).setDirection(direction).setCommit(commit).setParent(parent)
                .setProposer(proposer.publicId().toByteString()).setDescription("try " + commit.substring(0, 6))
                .setCreatedMs(nowMs).build();
    }

    /** An OK result answering {@code unit}, as an honest runner would report it. */
    public static Result result(Identity runner, WorkUnit unit, double metric, long nowMs) {
        return Result.newBuilder()
                .setWorkUnitId(unit.getId()).setSeed(unit.getSeed()).setDirection(unit.getDirection())
                .setCommit(unit.getCommit()).setParent(unit.getParent())
                .setStatus(Result.Status.OK).setMetricName("val_bpb").setMetric(metric)
                .setHardwareClass("cpu:x86_64").setRuntimeMs(1234)
                .setLogSha256(ByteString.copyFrom(new byte[32]))
                .setRunner(runner.publicId().toByteString()).setProposer(unit.getProposer())
                .setTimeMs(nowMs).setBudget(unit.getBudget()).setRandomSeed(unit.getRandomSeed())
                .build();
    }

    /** A runner's word that it could fetch {@code unit}'s commit from none of its holders. */
    public static Result unfetchable(Identity runner, WorkUnit unit, long nowMs) {
        return result(runner, unit, 0, nowMs).toBuilder().clearMetric().clearRuntimeMs()
                .clearLogSha256().setStatus(Result.Status.UNFETCHABLE)
                .setReason("cannot fetch " + unit.getCommit() + " from any of 2 peers: 127.0.0.1:1 refused; "
                        + "127.0.0.1:2 does not hold it")
                .build();
    }

    private static final SecureRandom NONCES = new SecureRandom();

    /** A fresh claim nonce. */
    public static com.google.protobuf.ByteString nonce() {
        byte[] bytes = new byte[16];
        NONCES.nextBytes(bytes);
        return com.google.protobuf.ByteString.copyFrom(bytes);
    }

    /**
     * A CPU node's claim, signed and opened as the HTTP layer hands it to the dispatcher;
     * {@code direction} empty for any direction.
     */
    public static Verified<ClaimRequest> signedClaim(Identity node, long nowMs, String direction, WorkUnit.Kind kind) {
        return signedClaim(node, nowMs, direction, kind, 0);
    }

    /** As {@link #signedClaim(Identity, long, String, WorkUnit.Kind)}, waiting up to {@code waitS} for work. */
    public static Verified<ClaimRequest> signedClaim(Identity node, long nowMs, String direction, WorkUnit.Kind kind,
            int waitS) {
        ClaimRequest request = ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(nowMs).setNonce(nonce())
                .setDirection(direction).addKinds(kind).setWaitS(waitS).build();
        try {
            return Envelopes.open(Envelopes.sign(node, request), ClaimRequest.getDefaultInstance());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** {@code record} signed by {@code signer} and opened as the HTTP layer hands it to a service. */
    public static <T extends com.google.protobuf.Message> Verified<T> signed(Identity signer, T record, T prototype) {
        try {
            return Envelopes.open(Envelopes.sign(signer, record), prototype);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
