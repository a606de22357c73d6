package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.protocol.seed.Manifests;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The second stage of adoption. {@link Significance} at the manifest's trial seeds alone lets
 * luck through: with 3 seeds and k = 2 a neutral candidate passes about 9% of the time (t with 2
 * degrees of freedom), so among the dozens proposed a night some pass on noise, and the seeds
 * are public, so proposers (and selection itself) tune to them. A candidate that passes there is
 * therefore only confirming: fresh seeds are derived for it (after the pass, once per candidate,
 * from its commit and the signed results that made it pass: {@link #derive}), both it and the
 * current frontier run there, and it is adopted only when the same rule passes at those seeds too. A neutral candidate's two stages are independent, so
 * the rate of false adoptions falls to about the product of the two rates (ConfirmationRuleTest
 * measures it). A loss at the confirmation seeds is final: the one draw is spent.
 *
 * <p>The confirmation pairs the candidate with the frontier at the time of the decision, at the
 * seeds drawn once: when the frontier moves meanwhile, the candidate must pass the trial seeds
 * against the new frontier and the new frontier runs at the candidate's confirmation seeds; no
 * new draw (the candidate's code is fixed, so the seeds, public once drawn, cannot be tuned to).
 * Pure: the coordinator decides with it and {@code rhizome verify} re-derives with it.
 */
public final class ConfirmationRule {
    /**
     * Confirmation seeds are drawn below this, so every seed program's RNG takes them as they are
     * (numpy's legacy seeding wants less than 2^32, a Java int is signed): 2^31 values, unknown to
     * anyone before the draw, are as good as 2^64 against tuning.
     */
    public static final long SEED_BOUND = 1L << 31;

    public enum Stage {
        /** It fails (or still waits for) the trial seeds against this frontier: nothing to confirm. */
        NOT_PASSED,
        /** It passed at the trial seeds and has no confirmation seeds yet: draw them. */
        DRAW,
        /** Confirming: a trial at a confirmation seed is not yet decided on one side. */
        CONFIRMING,
        /** It lost at the confirmation seeds: never adopted. */
        REFUSED,
        /** It passed both stages (or the confirmation is off). */
        ADOPT
    }

    /** The stage, with the comparisons behind it ({@code confirmation} is null where none was made). */
    public record Verdict(Stage stage, Significance.Comparison trials, Significance.Comparison confirmation) {
        public String reason() {
            return confirmation == null ? trials.reason()
                    : trials.reason() + "; at the confirmation seeds: " + confirmation.reason();
        }
    }

    private ConfirmationRule() {
    }

    /**
     * @param drawnSeeds the candidate's confirmation seeds, empty when none were drawn
     * @param frontierAtDrawn the frontier's decided metrics there, in the class of the trial comparison
     * @param candidateAtDrawn the candidate's
     */
    public static Verdict judge(Map<Long, Double> frontierAtTrials, Map<Long, Double> candidateAtTrials,
            List<Long> drawnSeeds, Map<Long, Double> frontierAtDrawn, Map<Long, Double> candidateAtDrawn,
            Manifest manifest) {
        Significance.Comparison trials = Significance.compare(frontierAtTrials, candidateAtTrials, manifest);
        if (trials.decision() != Significance.Decision.ADOPT) {
            return new Verdict(Stage.NOT_PASSED, trials, null);
        }
        if (Manifests.confirmationSeeds(manifest) == 0) {
            return new Verdict(Stage.ADOPT, trials, null);
        }
        if (drawnSeeds.isEmpty()) {
            return new Verdict(Stage.DRAW, trials, null);
        }
        Significance.Comparison confirmation = Significance.compare(frontierAtDrawn, candidateAtDrawn, drawnSeeds,
                manifest);
        Stage stage = switch (confirmation.decision()) {
            case ADOPT -> Stage.ADOPT;
            case WAIT -> Stage.CONFIRMING;
            case REJECT -> Stage.REFUSED;
        };
        return new Verdict(stage, trials, confirmation);
    }

    /**
     * Whether a confirming candidate is superseded by a frontier that moved while it confirmed:
     * its comparison with the new frontier at the trial seeds, when that is decided and no longer
     * a pass (then it is closed, never adopted: the frontier only moves to something better, so
     * waiting for another move would only wait for luck). Empty while it still passes (it goes on
     * confirming, paired with the new frontier at the same seeds) or the comparison waits.
     */
    public static Optional<Significance.Comparison> supersededBy(Map<Long, Double> newFrontierAtTrials,
            Map<Long, Double> candidateAtTrials, Manifest manifest) {
        Significance.Comparison c = Significance.compare(newFrontierAtTrials, candidateAtTrials, manifest);
        return c.decision() == Significance.Decision.REJECT ? Optional.of(c) : Optional.empty();
    }

    /**
     * Prefixed to every derivation's input, so the hash is of this rule alone (a version 2 would
     * change it, and an export says which a confirmation used: {@code Confirmation.derivation}).
     */
    static final String DERIVATION_TAG = "rhizome confirmation seeds v1";

    /**
     * The candidate's confirmation seeds: {@code n} distinct values in [0, {@link #SEED_BOUND}),
     * none of {@code taken} (the trial seeds), from SHA-256 over this rule's tag, the candidate's
     * commit, the ids of the results that decided its trial stage ({@link #basis}, sorted here so
     * the order they were read in does not matter) and a counter. Nobody chooses them: the
     * commit was fixed when the experiment was signed, and each id is the hash of a runner's signed
     * envelope, which the coordinator cannot forge or alter, and which did not exist before the
     * candidate ran; so neither the coordinator nor a proposer knows them before the trial stage
     * is fixed, and anyone with an export recomputes them ({@link #derivationProblem}).
     */
    public static List<Long> derive(String commit, Collection<String> basis, int n, Collection<Long> taken) {
        return derive(DERIVATION_TAG, commit, basis, "", n, taken);
    }

    /**
     * Prefixed to a committed derivation's input ({@code Confirmation.Derivation.COMMITTED}): the
     * inputs differ from v1's by the reveal, so the tag does too.
     */
    static final String COMMITTED_TAG = "rhizome confirmation seeds v2";

    /** Prefixed to the secret in its commitment, so the hash commits to this use of it alone. */
    static final String COMMITMENT_TAG = "rhizome confirmation secret v1\n";

    /** The length of a seed secret: 256 bits, so nobody finds it from its commitment. */
    public static final int SECRET_BYTES = 32;

    /**
     * The candidate's confirmation seeds as {@link #derive(String, Collection, int, Collection)}
     * gives them, with the coordinator's {@code secret} among the inputs. The secret was fixed, and
     * only its {@link #commitment} published, when the candidate was registered; so a runner
     * signing a deciding result cannot compute the seeds its id would give, and varying its id
     * (re-signing) draws fresh seeds it cannot see: no better than chance (ConfirmationRuleTest).
     */
    public static List<Long> derive(String commit, Collection<String> basis, byte[] secret, int n,
            Collection<Long> taken) {
        if (secret.length != SECRET_BYTES) {
            throw new IllegalArgumentException("a seed secret is " + SECRET_BYTES + " bytes, got " + secret.length);
        }
        return derive(COMMITTED_TAG, commit, basis, HexFormat.of().formatHex(secret), n, taken);
    }

    /** The commitment to a seed secret: SHA-256 over {@link #COMMITMENT_TAG} and the secret. */
    public static byte[] commitment(byte[] secret) {
        MessageDigest sha = sha256();
        sha.update(COMMITMENT_TAG.getBytes(StandardCharsets.UTF_8));
        sha.update(secret);
        return sha.digest();
    }

    private static List<Long> derive(String tag, String commit, Collection<String> basis, String reveal, int n,
            Collection<Long> taken) {
        if (n < 0 || n > Manifests.MAX_ADOPTION_SEEDS) {
            throw new IllegalArgumentException("confirmation seeds must be 0 to " + Manifests.MAX_ADOPTION_SEEDS
                    + ", got " + n);
        }
        if (basis.isEmpty() && n > 0) {
            throw new IllegalArgumentException("confirmation seeds derive from the results that decided the trial "
                    + "stage, and none were given for " + commit);
        }
        List<String> sorted = basis.stream().sorted().toList();
        Set<Long> used = new HashSet<>(taken);
        List<Long> seeds = new ArrayList<>();
        for (int counter = 0; seeds.size() < n; counter++) {
            MessageDigest sha = sha256();
            sha.update((tag + "\n" + commit).getBytes(StandardCharsets.UTF_8));
            for (String id : sorted) {
                sha.update(("\n" + id).getBytes(StandardCharsets.UTF_8));
            }
            if (!reveal.isEmpty()) {
                sha.update(("\nsecret " + reveal).getBytes(StandardCharsets.UTF_8));
            }
            sha.update(("\n" + counter).getBytes(StandardCharsets.UTF_8));
            byte[] h = sha.digest();
            // 31 bits of the hash: uniform in [0, 2^31)
            long seed = ((h[0] & 0x7fL) << 24) | ((h[1] & 0xffL) << 16) | ((h[2] & 0xffL) << 8) | (h[3] & 0xffL);
            if (used.add(seed)) {
                seeds.add(seed);
            }
        }
        return seeds;
    }

    /**
     * What a derivation rests on: the envelope ids of the results judged VALID in
     * {@code hardwareClass} among {@code outcomes} (the candidate's trials at the trial seeds, each
     * judged by {@link Trials}), sorted. A decided trial's VALID members never change, so the
     * coordinator that derives and a verifier that re-judges the same results agree.
     */
    public static List<String> basis(Collection<Trials.Outcome> outcomes, String hardwareClass) {
        return outcomes.stream().filter(o -> o.decided() && o.hardwareClass().equals(hardwareClass))
                .flatMap(o -> o.verdicts().stream())
                .filter(v -> v.state() == ResultVerdict.State.VALID)
                .map(v -> v.entry().envelopeId()).sorted().toList();
    }

    /**
     * Why a DERIVED confirmation's seeds are not the derivation, if they are not: it must name as
     * its basis exactly {@code basis} (what the verifier re-judged: naming a subset would let
     * the coordinator choose among derivations) and its seeds must be those
     * {@link #derive} gives from it. Empty where it checks out.
     */
    public static Optional<String> derivationProblem(String commit, List<String> namedBasis, List<Long> namedSeeds,
            List<String> basis, Manifest manifest) {
        return derivationProblem(commit, namedBasis, namedSeeds, basis, null, manifest);
    }

    /**
     * The same for a COMMITTED confirmation, whose seeds are derived with {@code reveal} too (null:
     * a DERIVED one, without). The reveal's match with the published commitment is the caller's to
     * check ({@link #commitment}).
     */
    public static Optional<String> derivationProblem(String commit, List<String> namedBasis, List<Long> namedSeeds,
            List<String> basis, byte[] reveal, Manifest manifest) {
        List<String> named = namedBasis.stream().sorted().toList();
        if (!named.equals(basis)) {
            return Optional.of("derived from results " + named + ", but the results that decided its trial stage "
                    + "before the seeds were drawn are " + basis);
        }
        if (basis.isEmpty()) {
            return Optional.of("derived from no results: its trial stage was not decided when the seeds were drawn");
        }
        if (reveal != null && reveal.length != SECRET_BYTES) {
            return Optional.of("its revealed secret is " + reveal.length + " bytes, not " + SECRET_BYTES);
        }
        List<Long> expected = reveal == null
                ? derive(commit, basis, Manifests.confirmationSeeds(manifest), Manifests.trialSeeds(manifest))
                : derive(commit, basis, reveal, Manifests.confirmationSeeds(manifest), Manifests.trialSeeds(manifest));
        if (!expected.equals(namedSeeds)) {
            return Optional.of("its seeds " + namedSeeds + " are not the ones derived from its results, " + expected
                    + ": chosen, not derived");
        }
        return Optional.empty();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
