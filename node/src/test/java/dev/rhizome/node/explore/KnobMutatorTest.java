package dev.rhizome.node.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Knob;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random cases: each case's seed is in the failure message, and {@code new Random(seed)} replays it. */
class KnobMutatorTest {
    private static final int CASES = 500;
    private static final Knob LR = Knob.newBuilder().setName("learning_rate").setFile("c").setMin(1e-4).setMax(0.5)
            .setLogScale(true).build();
    private static final Knob WIDTH = Knob.newBuilder().setName("hidden").setFile("c").setMin(4).setMax(256)
            .setInteger(true).build();
    private static final Knob CONTEXT = Knob.newBuilder().setName("context").setFile("c").setMin(1).setMax(2)
            .setInteger(true).build();

    @Test
    void proposalsStayWithinBoundsAndParse() {
        Random cases = new Random(1);
        for (int i = 0; i < CASES; i++) {
            long seed = cases.nextLong();
            // the bounds themselves and values spread over the log range
            double lr = i == 0 ? LR.getMin() : i == 1 ? LR.getMax()
                    : LR.getMin() * Math.pow(LR.getMax() / LR.getMin(), cases.nextDouble());
            Map<String, String> changes = KnobMutator.propose(
                    Map.of("learning_rate", Double.toString(lr), "hidden", "64"), List.of(LR, WIDTH), new Random(seed));

            assertThat(changes).as("seed %d, lr %s", seed, lr).isNotEmpty().hasSizeLessThanOrEqualTo(2);
            changes.forEach((name, value) -> {
                Knob k = name.equals("hidden") ? WIDTH : LR;
                assertThat(Double.parseDouble(value)).as("seed %d, lr %s: %s", seed, lr, name)
                        .isBetween(k.getMin(), k.getMax());
                if (k.getInteger()) {
                    assertThat(value).as("seed %d", seed).doesNotContain(".");
                }
            });
        }
    }

    @Test
    void integerKnobsAlwaysMoveEvenInATinyRange() {
        Random cases = new Random(2);
        for (int i = 0; i < CASES; i++) {
            long seed = cases.nextLong();
            String current = i % 2 == 0 ? "2" : "1";
            Map<String, String> changes = KnobMutator.propose(Map.of("context", current), List.of(CONTEXT), new Random(seed));

            assertThat(changes.get("context")).as("seed %d from %s", seed, current).isNotEqualTo(current).isIn("1", "2");
        }
    }

    @Test
    void unreadableCurrentValuesStartMidRange() {
        Random cases = new Random(3);
        for (int i = 0; i < CASES; i++) {
            long seed = cases.nextLong();
            Map<String, String> changes = KnobMutator.propose(Map.of("learning_rate", "fast"), List.of(LR), new Random(seed));
            assertThat(Double.parseDouble(changes.get("learning_rate"))).as("seed %d", seed)
                    .isBetween(LR.getMin(), LR.getMax());
        }
    }
}
