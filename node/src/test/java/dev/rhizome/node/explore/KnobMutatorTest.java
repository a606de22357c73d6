package dev.rhizome.node.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Knob;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Scale;

class KnobMutatorTest {
    private static final Knob LR = Knob.newBuilder().setName("learning_rate").setFile("c").setMin(1e-4).setMax(0.5)
            .setLogScale(true).build();
    private static final Knob WIDTH = Knob.newBuilder().setName("hidden").setFile("c").setMin(4).setMax(256)
            .setInteger(true).build();
    private static final Knob CONTEXT = Knob.newBuilder().setName("context").setFile("c").setMin(1).setMax(2)
            .setInteger(true).build();

    @Property
    void proposalsStayWithinBoundsAndParse(@ForAll long seed, @ForAll @DoubleRange(min = 1e-4, max = 0.5) @Scale(6) double lr) {
        Map<String, String> changes = KnobMutator.propose(Map.of("learning_rate", Double.toString(lr), "hidden", "64"),
                List.of(LR, WIDTH), new Random(seed));

        assertThat(changes).isNotEmpty().hasSizeLessThanOrEqualTo(2);
        changes.forEach((name, value) -> {
            Knob k = name.equals("hidden") ? WIDTH : LR;
            double v = Double.parseDouble(value);
            assertThat(v).isBetween(k.getMin(), k.getMax());
            if (k.getInteger()) {
                assertThat(value).doesNotContain(".");
            }
        });
    }

    @Property
    void integerKnobsAlwaysMoveEvenInATinyRange(@ForAll long seed, @ForAll boolean atMax) {
        String current = atMax ? "2" : "1";
        Map<String, String> changes = KnobMutator.propose(Map.of("context", current), List.of(CONTEXT), new Random(seed));

        assertThat(changes.get("context")).isNotEqualTo(current).isIn("1", "2");
    }

    @Property
    void unreadableCurrentValuesStartMidRange(@ForAll long seed) {
        Map<String, String> changes = KnobMutator.propose(Map.of("learning_rate", "fast"), List.of(LR), new Random(seed));
        assertThat(Double.parseDouble(changes.get("learning_rate"))).isBetween(LR.getMin(), LR.getMax());
    }
}
