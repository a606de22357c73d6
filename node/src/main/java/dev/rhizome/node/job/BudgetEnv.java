package dev.rhizome.node.job;

import dev.rhizome.proto.v1.Budget;
import java.util.Map;

/** The environment variables through which a seed's command learns its budget and random seed. */
public final class BudgetEnv {
    public static final String STEPS = "RHIZOME_STEPS";
    public static final String WALL_SECONDS = "RHIZOME_WALL_SECONDS";
    public static final String RANDOM_SEED = "RHIZOME_RANDOM_SEED";

    private BudgetEnv() {
    }

    /** Exactly one of the two budget variables, and the seed; both are unsigned 64-bit in the schema. */
    public static Map<String, String> of(Budget budget, long randomSeed) {
        String seed = Long.toUnsignedString(randomSeed);
        return switch (budget.getKindCase()) {
            case STEPS -> Map.of(STEPS, Long.toUnsignedString(budget.getSteps()), RANDOM_SEED, seed);
            case WALL_SECONDS -> Map.of(WALL_SECONDS, Integer.toUnsignedString(budget.getWallSeconds()), RANDOM_SEED, seed);
            case KIND_NOT_SET -> throw new IllegalArgumentException("budget has neither steps nor wall_seconds");
        };
    }
}
