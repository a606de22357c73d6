package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RepeatedLinesTest {
    private static final class Ticking extends Clock {
        long millis;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    @Test
    void theSameRefusalIsShownOncePerPeriodWithHowOftenItCameMeanwhile() {
        Ticking clock = new Ticking();
        RepeatedLines lines = new RepeatedLines(clock, Duration.ofMinutes(10));
        assertThat(lines.show("banned")).isEqualTo("banned");
        for (int i = 0; i < 5; i++) {
            clock.millis += 60_000;
            assertThat(lines.show("banned")).isNull();
        }
        clock.millis += 5 * 60_000;
        assertThat(lines.show("banned")).isEqualTo("banned (5 more time(s) since it was last shown)");
        assertThat(lines.show("banned")).isNull();
    }

    @Test
    void aDifferentLineOrOneAfterAResetIsShownAtOnce() {
        Ticking clock = new Ticking();
        RepeatedLines lines = new RepeatedLines(clock, Duration.ofMinutes(10));
        assertThat(lines.show("banned")).isEqualTo("banned");
        assertThat(lines.show("over quota")).isEqualTo("over quota");
        lines.reset();
        assertThat(lines.show("over quota")).isEqualTo("over quota");
    }
}
