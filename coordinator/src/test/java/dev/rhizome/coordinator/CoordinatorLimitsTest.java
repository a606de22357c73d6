package dev.rhizome.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.WriteQuota;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link CoordinatorLimits.Builder}: one setter per limit, named as the record's component, that
 * changes that limit alone and keeps every other; a limit added to the record without its setter,
 * or left out of the builder's copy, fails here rather than being silently reset to its default
 * by the next wither a config key applies.
 */
class CoordinatorLimitsTest {
    @Test
    void everyLimitHasASetterThatChangesItAloneAndTheCopyKeepsTheRest() throws Exception {
        CoordinatorLimits base = CoordinatorLimits.defaults();
        assertThat(base.toBuilder().build()).isEqualTo(base);
        RecordComponent[] components = CoordinatorLimits.class.getRecordComponents();
        assertThat(components).hasSize(14);
        for (RecordComponent c : components) {
            Object before = c.getAccessor().invoke(base);
            Object other = another(c.getType(), before);
            Method setter = CoordinatorLimits.Builder.class.getMethod(c.getName(), c.getType());
            CoordinatorLimits.Builder b = base.toBuilder();
            setter.invoke(b, other);
            CoordinatorLimits changed = b.build();
            assertThat(c.getAccessor().invoke(changed)).as(c.getName()).isEqualTo(other);
            for (RecordComponent kept : components) {
                if (kept != c) {
                    assertThat(kept.getAccessor().invoke(changed)).as(c.getName() + " leaves " + kept.getName())
                            .isEqualTo(kept.getAccessor().invoke(base));
                }
            }
            // what was changed survives a copy and a wither of another limit (each once copied all 14 by hand)
            assertThat(c.getAccessor().invoke(changed.toBuilder().build())).as(c.getName() + " copied").isEqualTo(other);
            assertThat(c.getAccessor().invoke(c.getName().equals("maxPipelined")
                    ? changed.withRequestsPerConnection(7) : changed.withMaxPipelined(3)))
                    .as(c.getName() + " kept by a wither").isEqualTo(other);
        }
    }

    @Test
    void aLimitOutOfRangeIsRefusedByName() {
        assertThatThrownBy(() -> CoordinatorLimits.defaults().toBuilder().maxPipelined(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPipelined");
        assertThatThrownBy(() -> CoordinatorLimits.defaults().toBuilder().idleTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
        assertThatThrownBy(() -> CoordinatorLimits.defaults().toBuilder().maxRenewalsPerLease(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRenewalsPerLease");
        assertThat(CoordinatorLimits.defaults().toBuilder().maxRenewalsPerLease(0).build().maxRenewalsPerLease()).isZero();
    }

    /** A valid value of the type that differs from {@code now}. */
    private static Object another(Class<?> type, Object now) {
        if (type == int.class) {
            return (Integer) now + 1;
        }
        if (type == long.class) {
            return (Long) now + 1;
        }
        if (type == Duration.class) {
            return ((Duration) now).plusSeconds(1);
        }
        if (type == MinDataRate.class) {
            return new MinDataRate(((MinDataRate) now).bytesPerSecond() + 1, ((MinDataRate) now).window());
        }
        if (type == LeaseCaps.Limits.class) {
            return LeaseCaps.Limits.none();
        }
        if (type == ReadBudgets.class) {
            return new ReadBudgets(new ReadBudgets.Budget(7, 7), new ReadBudgets.Budget(9, 9));
        }
        if (type == WriteQuota.Limits.class) {
            Map<WriteQuota.Kind, WriteQuota.Limit> byKind = new EnumMap<>(((WriteQuota.Limits) now).byKind());
            byKind.put(WriteQuota.Kind.SEEDS, new WriteQuota.Limit(1, 2, 3, 4));
            return new WriteQuota.Limits(byKind);
        }
        throw new AssertionError("a limit of a type this test cannot vary: " + type + "; teach another() it");
    }
}
