package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.MetricSpec;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/** Decides which valid experiment, if any, becomes a direction's new frontier. */
public final class Adoption {
    /** A valid experiment of a direction, with what its replicas agreed on. */
    public record Candidate(String commit, Agreement agreement) {
    }

    private Adoption() {
    }

    /** Better by more than the tolerance: a difference within it is noise. */
    public static boolean improves(double candidate, double incumbent, MetricSpec metric) {
        double gain = metric.getLowerIsBetter() ? incumbent - candidate : candidate - incumbent;
        return gain > metric.getTolerance();
    }

    /**
     * The best candidate measured in the frontier's hardware class that beats the frontier, or
     * empty. Nothing is adopted before the frontier itself has been measured.
     */
    public static Optional<Candidate> choose(Frontier frontier, List<Candidate> candidates, MetricSpec metric) {
        if (!frontier.isMeasured()) {
            return Optional.empty();
        }
        Comparator<Candidate> better = Comparator.comparingDouble(c -> c.agreement().metric());
        if (!metric.getLowerIsBetter()) {
            better = better.reversed();
        }
        return candidates.stream()
                .filter(c -> !c.commit().equals(frontier.commit()))
                .filter(c -> c.agreement().hardwareClass().equals(frontier.hardwareClass()))
                .filter(c -> improves(c.agreement().metric(), frontier.metric().getAsDouble(), metric))
                .min(better);
    }

    public static Frontier adopt(Candidate candidate) {
        return new Frontier(candidate.commit(), OptionalDouble.of(candidate.agreement().metric()),
                candidate.agreement().hardwareClass());
    }
}
