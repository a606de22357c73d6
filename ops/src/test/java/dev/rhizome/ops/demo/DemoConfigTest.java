package dev.rhizome.ops.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoConfigTest {
    private static DemoConfig lasting(Duration duration) {
        return new DemoConfig(2, duration, 2, 2, Path.of("demo"), List.of("rhizome"));
    }

    @Test
    void theWaitForResultsIsAnotherDurationOnAQuietMachineAndGrowsWithTheLoadPerCore() {
        DemoConfig demo = lasting(Duration.ofSeconds(45));
        assertThat(demo.extraWait(0.5, 2)).as("a core to spare").isEqualTo(Duration.ofSeconds(45));
        assertThat(demo.extraWait(-1, 2)).as("load unknown").isEqualTo(Duration.ofSeconds(45));
        assertThat(demo.extraWait(8, 2)).isEqualTo(Duration.ofSeconds(180));
        // load 30 on 2 cores, where a second 45 s got no result
        assertThat(demo.extraWait(30, 2)).as("capped: a network that never reports still ends")
                .isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void aDemoLongerThanTheCeilingStillGetsAnotherDuration() {
        assertThat(lasting(Duration.ofMinutes(20)).extraWait(30, 2)).isEqualTo(Duration.ofMinutes(20));
    }
}
