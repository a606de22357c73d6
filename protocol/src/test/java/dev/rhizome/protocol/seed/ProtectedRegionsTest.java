package dev.rhizome.protocol.seed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.ProtectedRegion;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProtectedRegionsTest {
    private static final ProtectedRegion EVAL = ProtectedRegion.newBuilder().setFile("Train.java")
            .setBeginMarker("// BEGIN READ-ONLY").setEndMarker("// END READ-ONLY").build();
    private static final String SEED = """
            int lr = 3;
            // BEGIN READ-ONLY
            double loss = evaluate();
            print(loss);
            // END READ-ONLY
            int width = 64;
            """;

    private static List<String> check(String after) {
        return ProtectedRegions.violations(List.of(EVAL), f -> Optional.of(SEED),
                f -> Optional.ofNullable(Map.of("Train.java", after).get(f)));
    }

    @Test
    void editsOutsideTheRegionAreAllowed() {
        assertThat(check(SEED.replace("lr = 3", "lr = 5").replace("width = 64", "width = 128") + "// more\n")).isEmpty();
    }

    @Test
    void anyChangeInsideTheRegionIsRefusedIncludingAComment() {
        assertThat(check(SEED.replace("print(loss);", "print(loss); // ignore this"))).singleElement().asString()
                .contains("Train.java").contains("BEGIN READ-ONLY");
        assertThat(check(SEED.replace("    ", "  "))).isEmpty();
        assertThat(check(SEED.replace("double loss", "double  loss"))).hasSize(1);
    }

    @Test
    void removingOrDuplicatingTheMarkersIsRefused() {
        assertThat(check(SEED.replace("// END READ-ONLY\n", ""))).hasSize(1);
        assertThat(check(SEED.replace("// BEGIN READ-ONLY\n", ""))).hasSize(1);
        assertThat(check("")).hasSize(1);
        assertThat(check(SEED + "// BEGIN READ-ONLY\nfake\n// END READ-ONLY\n")).hasSize(1);
    }

    @Test
    void aRegionOfAFileTheSeedLacksConstrainsNothing() {
        assertThat(ProtectedRegions.violations(List.of(EVAL), f -> Optional.empty(), f -> Optional.of("anything")))
                .isEmpty();
    }
}
