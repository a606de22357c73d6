package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

class FiniteMeanTest {
    @Test
    void theMeanOfTheLargestFiniteMetricsIsThatMetricNotInfinity() {
        assertThat(FiniteMean.of(DoubleStream.of(Double.MAX_VALUE, Double.MAX_VALUE)).getAsDouble())
                .isEqualTo(Double.MAX_VALUE);
        assertThat(FiniteMean.of(DoubleStream.of(-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE)).getAsDouble())
                .isEqualTo(-Double.MAX_VALUE);
        assertThat(FiniteMean.of(DoubleStream.of(Double.MAX_VALUE, Double.MAX_VALUE / 2)).getAsDouble())
                .isFinite().isBetween(Double.MAX_VALUE / 2, Double.MAX_VALUE);
    }

    @Test
    void honestNumbersAreAveragedAsBefore() {
        double[] v = {1.0123, 0.9876, 1.00001};
        assertThat(FiniteMean.of(DoubleStream.of(v)).getAsDouble()).isEqualTo(DoubleStream.of(v).average().getAsDouble());
        assertThat(FiniteMean.of(DoubleStream.of(Double.MIN_VALUE, Double.MIN_VALUE)).getAsDouble()).isEqualTo(Double.MIN_VALUE);
        assertThat(FiniteMean.of(DoubleStream.of(-Double.MAX_VALUE, Double.MAX_VALUE)).getAsDouble()).isZero();
    }

    @Test
    void nothingFiniteHasNoMean() {
        assertThat(FiniteMean.of(DoubleStream.of())).isEmpty();
        assertThat(FiniteMean.of(DoubleStream.of(Double.NaN, Double.POSITIVE_INFINITY))).isEmpty();
    }
}
