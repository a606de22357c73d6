package dev.rhizome.ops.demo;

import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Confirmation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How far the network's candidates got through the adoption pipeline (docs/architecture.md,
 * "Confirmation at fresh seeds"): passed at the trial seeds and now confirming at fresh ones,
 * confirmed and adopted, or refused there. Read from {@code /v1/confirmations} and
 * {@code /v1/adoptions}; pure, so the counts and the lines the demo prints are tested without a
 * network. A demo that ended with results and no adoption used to say nothing of the candidates
 * still confirming.
 *
 * @param confirmations one per candidate that passed at its trial seeds, in the order drawn
 * @param adoptions     frontier changes, every direction's, in the order decided
 */
public record Pipeline(List<Confirmation> confirmations, List<Adoption> adoptions) {
    public static final Pipeline EMPTY = new Pipeline(List.of(), List.of());

    public Pipeline {
        confirmations = List.copyOf(confirmations);
        adoptions = List.copyOf(adoptions);
    }

    /** Candidates whose trials at their fresh seeds (or the frontier's there) are not all in. */
    public long confirming() {
        return count(Confirmation.State.CONFIRMING, null);
    }

    /** Candidates that passed at their fresh seeds too, and were adopted. */
    public long confirmed() {
        return count(Confirmation.State.CONFIRMED, null);
    }

    /** Candidates that lost at their fresh seeds: never adopted. */
    public long refused() {
        return count(Confirmation.State.REFUSED, null);
    }

    public long confirmingIn(String direction) {
        return count(Confirmation.State.CONFIRMING, direction);
    }

    public long adoptionCount() {
        return adoptions.size();
    }

    public long adoptionsIn(String direction) {
        return adoptions.stream().filter(a -> a.getDirection().equals(direction)).count();
    }

    /** The adoption decided first, by the coordinator's clock. */
    public Optional<Adoption> first() {
        return adoptions.stream().min(Comparator.comparingLong(Adoption::getAdoptedMs));
    }

    /**
     * What happened since {@code before}, one line per event, so the demo's progress shows each stage
     * as it happens: a candidate that passed at the trial seeds and is confirming, one refused at its
     * fresh seeds, an adoption with its gains at both.
     */
    public List<String> newsSince(Pipeline before, String metricName) {
        List<String> lines = new ArrayList<>();
        Set<String> drawn = before.confirmations.stream().map(Pipeline::key).collect(Collectors.toSet());
        Set<String> refusedBefore = before.confirmations.stream()
                .filter(c -> c.getState() == Confirmation.State.REFUSED).map(Pipeline::key).collect(Collectors.toSet());
        for (Confirmation c : confirmations) {
            if (!drawn.contains(key(c))) {
                lines.add(String.format("candidate %s on %s passed at the trial seeds; confirming at %d fresh seeds %s",
                        shortCommit(c.getCommit()), c.getDirection(), c.getRandomSeedsCount(), c.getRandomSeedsList()));
            }
            if (c.getState() == Confirmation.State.REFUSED && !refusedBefore.contains(key(c))) {
                lines.add(String.format("candidate %s on %s refused at its fresh seeds: %s", shortCommit(c.getCommit()),
                        c.getDirection(), c.getReason()));
            }
        }
        Set<String> adoptedBefore = before.adoptions.stream().map(a -> a.getDirection() + " " + a.getCommit())
                .collect(Collectors.toSet());
        for (Adoption a : adoptions) {
            if (!adoptedBefore.contains(a.getDirection() + " " + a.getCommit())) {
                lines.add(adoptedLine(a, metricName));
            }
        }
        return lines;
    }

    static String adoptedLine(Adoption a, String metricName) {
        String line = String.format("ADOPTED %s on %s: %s %s -> %s, mean gain %.4f at trial seeds %s",
                shortCommit(a.getCommit()), a.getDirection(), metricName, mean(a.getFrontierMetricsList()),
                mean(a.getCandidateMetricsList()), a.getMeanGain(), a.getRandomSeedsList());
        if (a.getConfirmationSeedsCount() > 0) {
            line += String.format(", confirmed with %.4f at fresh seeds %s", a.getConfirmationMeanGain(),
                    a.getConfirmationSeedsList());
        }
        return line;
    }

    private static String mean(List<Double> metrics) {
        return metrics.isEmpty() ? "-"
                : String.format("%.4f", metrics.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
    }

    static String shortCommit(String commit) {
        return commit.length() > 8 ? commit.substring(0, 8) : commit;
    }

    private long count(Confirmation.State state, String direction) {
        return confirmations.stream()
                .filter(c -> c.getState() == state && (direction == null || c.getDirection().equals(direction)))
                .count();
    }

    private static String key(Confirmation c) {
        return c.getDirection() + " " + c.getCommit();
    }
}
