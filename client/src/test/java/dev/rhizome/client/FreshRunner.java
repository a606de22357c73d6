package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * A runner with a key of its own that leases the coordinator's next evaluation and reports it as a
 * node would, signed, without running anything: for tests of what agents read back (a fresh key
 * each time, so no runner's quota or one-replica-per-key rule shapes what the test sees).
 */
final class FreshRunner {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Identity identity = Identity.generate();
    private final CoordinatorClient client;
    private final String hardwareClass;

    private FreshRunner(String url, String hardwareClass) {
        this.client = new CoordinatorClient(url, identity, Duration.ofMinutes(2));
        this.hardwareClass = hardwareClass;
    }

    static FreshRunner at(String url, String hardwareClass) {
        return new FreshRunner(url, hardwareClass);
    }

    /** Its key: announced, it is a listed node holding what it leased. */
    Identity identity() {
        return identity;
    }

    /** The next evaluation, leased (the test expects one to be open). */
    WorkUnit claimEvaluation() throws CoordinatorException {
        WorkUnit unit = client.claim(ClaimRequest.newBuilder().setNode(identity.publicId().toByteString())
                .setHardwareClass(hardwareClass).addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis())
                .setNonce(ByteString.copyFrom(nonce())).build()).getUnit();
        assertThat(unit.getId()).as("an evaluation leased").isNotEmpty();
        return unit;
    }

    /** Reports {@code unit} with {@code status}, {@code reason} and, when not null, {@code metric}. */
    void report(WorkUnit unit, Result.Status status, String reason, Double metric) throws CoordinatorException {
        Result.Builder result = Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setParent(unit.getParent())
                .setStatus(status).setReason(reason).setMetricName(TinyLmSeed.manifest().getMetric().getName())
                .setHardwareClass(hardwareClass).setRuntimeMs(1000).setRunner(identity.publicId().toByteString())
                .setProposer(unit.getProposer()).setTimeMs(System.currentTimeMillis()).setBudget(unit.getBudget())
                .setRandomSeed(unit.getRandomSeed());
        if (metric != null) {
            result.setMetric(metric);
        }
        client.reportResult(client.signed(result.build()));
    }

    private static byte[] nonce() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }
}
