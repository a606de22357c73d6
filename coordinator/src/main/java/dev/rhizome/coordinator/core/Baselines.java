package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Result;
import java.util.List;
import java.util.Optional;

/**
 * Measures a direction's starting point. A base commit is trusted code (the seed, or an
 * experiment already run), so one OK result is enough: the frontier gets the mean of the OK
 * results in the hardware class that reported first.
 */
public final class Baselines {
    private Baselines() {
    }

    public static Optional<Agreement> measure(List<Result> results) {
        Optional<String> firstClass = results.stream()
                .filter(r -> r.getStatus() == Result.Status.OK && Double.isFinite(r.getMetric()))
                .map(Result::getHardwareClass).findFirst();
        return firstClass.map(hardwareClass -> {
            List<Double> metrics = results.stream()
                    .filter(r -> r.getStatus() == Result.Status.OK && Double.isFinite(r.getMetric())
                            && r.getHardwareClass().equals(hardwareClass))
                    .map(Result::getMetric).toList();
            return new Agreement(hardwareClass, Validity.mean(metrics), metrics.size());
        });
    }
}
