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

    @Test
    void theDefaultRunEndsAtTheFirstAdoptionPastTheFloorOrAtTheCap() {
        DemoConfig demo = new DemoConfig(3, DemoConfig.DEFAULT_CAP, 3, 0, Path.of("demo"), List.of("rhizome"), true);
        Duration floor = DemoConfig.ADOPTION_FLOOR;
        assertThat(demo.stopAt(floor.minusSeconds(1), 1)).as("an early adoption still leaves results to show")
                .isEqualTo(DemoConfig.Stop.NOT_YET);
        assertThat(demo.stopAt(floor, 1)).isEqualTo(DemoConfig.Stop.ADOPTION);
        assertThat(demo.stopAt(floor.plusSeconds(60), 0)).as("nothing adopted yet").isEqualTo(DemoConfig.Stop.NOT_YET);
        assertThat(demo.stopAt(DemoConfig.DEFAULT_CAP, 0)).as("the cap").isEqualTo(DemoConfig.Stop.DURATION);
        assertThat(DemoConfig.Stop.ADOPTION.key()).isEqualTo("adoption");
        assertThat(floor).as("demo --help's \"at least 90 s\"").isEqualTo(Duration.ofSeconds(90));
        assertThat(DemoConfig.DEFAULT_CAP).as("demo --help's \"at most 5\"").isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theDefaultRunGoesOnPastTheCapWhileACandidateIsConfirmingAndEndsAsAnAdoptionIfOneComes() {
        DemoConfig demo = new DemoConfig(3, DemoConfig.DEFAULT_CAP, 3, 0, Path.of("demo"), List.of("rhizome"), true);
        Duration cap = DemoConfig.DEFAULT_CAP;
        assertThat(demo.extensionAt(false, 1)).as("an adoption is a minute or two away")
                .isEqualTo(DemoConfig.Extension.CONFIRMATION);
        assertThat(demo.extensionAt(false, 0)).as("nothing confirming: the cap ends it").isEqualTo(DemoConfig.Extension.NONE);
        assertThat(demo.extensionAt(true, 1)).as("too few results wins: its wait scales with the load")
                .isEqualTo(DemoConfig.Extension.RESULTS);
        assertThat(demo.stopAt(cap.plusSeconds(40), 1)).as("adopted during the grace").isEqualTo(DemoConfig.Stop.ADOPTION);
        assertThat(demo.stopAt(cap.plus(DemoConfig.CONFIRMATION_GRACE), 0)).isEqualTo(DemoConfig.Stop.DURATION);
        assertThat(cap.plus(DemoConfig.CONFIRMATION_GRACE)).as("demo --help's and the README's \"8 when a candidate is confirming\"")
                .isEqualTo(Duration.ofMinutes(8));
    }

    @Test
    void aGivenDurationRunsThatLongWhateverIsAdopted() {
        DemoConfig demo = lasting(Duration.ofMinutes(10));
        assertThat(demo.untilAdoption()).isFalse();
        assertThat(demo.stopAt(Duration.ofMinutes(9), 5)).isEqualTo(DemoConfig.Stop.NOT_YET);
        assertThat(demo.stopAt(Duration.ofMinutes(10), 5)).isEqualTo(DemoConfig.Stop.DURATION);
        assertThat(demo.extensionAt(false, 2)).as("confirming candidates do not stretch a given --duration")
                .isEqualTo(DemoConfig.Extension.NONE);
    }
}
