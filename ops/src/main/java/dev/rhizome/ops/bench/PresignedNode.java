package dev.rhizome.ops.bench;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One bench client's signing, done before the timed phase so that the load generator does not
 * spend the cores on Ed25519 while the coordinator is measured (the limit counts only the
 * coordinator's verifies). A claim names no unit, so the client signs {@code claims} claim requests
 * up front, each with its own fresh random nonce (the coordinator still accepts each nonce once).
 * A result names its unit, and which unit a claim returns is the coordinator's choice, so the
 * client signs one result for every open unit it might be given; it sends the one that matches.
 * Every envelope carries the time it was signed, well inside the coordinator's 5-minute replay
 * window for a run of this size; the coordinator checks everything exactly as for a live node.
 */
final class PresignedNode {
    private static final SecureRandom NONCES = new SecureRandom();
    /** The class every bench node claims and reports with (and announces, when it announces). */
    static final String HARDWARE_CLASS = "cpu:bench";

    private final Identity identity;
    private final List<byte[]> claims;
    private final Map<String, byte[]> results;

    private PresignedNode(Identity identity, List<byte[]> claims, Map<String, byte[]> results) {
        this.identity = identity;
        this.claims = claims;
        this.results = results;
    }

    /**
     * @param network    the coordinator's network id, which every record names
     * @param units      the open EVALUATE units, as the coordinator lists them
     * @param metricName the seed's metric, which an OK result must name
     */
    static PresignedNode sign(String network, int claims, List<WorkUnit> units, String metricName) {
        Identity identity = Identity.generate();
        ByteString key = identity.publicId().toByteString();
        long now = System.currentTimeMillis();
        List<byte[]> signedClaims = new ArrayList<>(claims);
        for (int i = 0; i < claims; i++) {
            byte[] nonce = new byte[16];
            NONCES.nextBytes(nonce);
            ClaimRequest claim = ClaimRequest.newBuilder().setNode(key).setHardwareClass(HARDWARE_CLASS)
                    .addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(now).setNonce(ByteString.copyFrom(nonce)).build();
            signedClaims.add(Envelopes.sign(identity, network, claim).toByteArray());
        }
        Map<String, byte[]> signedResults = new HashMap<>(units.size() * 2);
        for (WorkUnit unit : units) {
            signedResults.put(unit.getId(), Envelopes.sign(identity, network, result(unit, identity, metricName, now)).toByteArray());
        }
        return new PresignedNode(identity, signedClaims, signedResults);
    }

    /** An OK result for a unit, as a node that ran it would report it. */
    static Result result(WorkUnit unit, Identity runner, String metricName, long timeMs) {
        return Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setParent(unit.getParent())
                .setStatus(Result.Status.OK).setMetricName(metricName).setMetric(2.0)
                .setHardwareClass(HARDWARE_CLASS).setRuntimeMs(1000).setRunner(runner.publicId().toByteString())
                .setProposer(unit.getProposer()).setTimeMs(timeMs).setBudget(unit.getBudget())
                .setRandomSeed(unit.getRandomSeed()).build();
    }

    Identity identity() {
        return identity;
    }

    int resultCount() {
        return results.size();
    }

    int claimCount() {
        return claims.size();
    }

    /** The i-th signed claim (protobuf SignedEnvelope bytes). */
    byte[] claim(int i) {
        return claims.get(i);
    }

    /** The signed result for a unit, or null if the unit was not open when the client signed. */
    byte[] resultFor(String unitId) {
        return results.get(unitId);
    }
}
