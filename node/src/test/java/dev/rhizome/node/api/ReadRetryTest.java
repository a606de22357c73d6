package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a refused read is asked again: only a 429 that names a wait, each wait and the whole bounded. */
class ReadRetryTest {
    @Test
    void onlyA429WithARetryAfterIsWaitedOutWithinTheBounds() {
        assertThat(ReadRetry.waitSeconds(429, 3, 0)).hasValue(3);
        assertThat(ReadRetry.waitSeconds(429, 0, 0)).as("a 429 naming no wait (a daily limit)").isEmpty();
        assertThat(ReadRetry.waitSeconds(503, 5, 0)).as("only the read budget's refusal").isEmpty();
        assertThat(ReadRetry.waitSeconds(429, 3600, 0)).as("an hour asked: a minute at most")
                .hasValue(ReadRetry.LONGEST_WAIT_S);
        assertThat(ReadRetry.waitSeconds(429, 10, ReadRetry.TOTAL_WAIT_S - 10)).hasValue(10);
        assertThat(ReadRetry.waitSeconds(429, 10, ReadRetry.TOTAL_WAIT_S - 9)).as("past the whole wait").isEmpty();
    }

    @Test
    void onlyTheDelayFormOfTheHeaderIsRead() {
        assertThat(ReadRetry.retryAfter("7")).hasValue(7);
        assertThat(ReadRetry.retryAfter(" 12 ")).hasValue(12);
        assertThat(ReadRetry.retryAfter(null)).isEmpty();
        assertThat(ReadRetry.retryAfter("Fri, 31 Dec 1999 23:59:59 GMT")).isEmpty();
        assertThat(ReadRetry.retryAfter("-1")).isEmpty();
        assertThat(ReadRetry.retryAfter("99999999999999999999")).isEmpty();
    }
}
