package dev.rhizome.coordinator;

/**
 * How much CPU the coordinator spends answering one client's reads (GET, HEAD) before it answers
 * {@code 429} with a {@code Retry-After}: a bucket per address (an IPv6 /64) and one per network (an
 * IPv4 /24, an IPv6 /48), each {@code burstMs} of CPU at once, refilled at {@code refillMsPerSecond}
 * (250: a quarter of a core). The config file's {@code read_budget} sets them (README, "Running a
 * coordinator in production"); {@code coordinator.http.ReadWork} spends them.
 */
public record ReadBudgets(Budget perAddress, Budget perNetwork) {
    /** One bucket: its size and its refill, in milliseconds of CPU. */
    public record Budget(long burstMs, long refillMsPerSecond) {
        /** Past this a budget bounds nothing a coordinator could spend (a day of CPU at once, 4,096 cores). */
        public static final long LARGEST = 86_400_000L;

        public Budget {
            if (burstMs < 1 || refillMsPerSecond < 1 || burstMs > LARGEST || refillMsPerSecond > LARGEST) {
                throw new IllegalArgumentException("a read budget's burst_ms and refill_ms_per_second must be from 1 to "
                        + LARGEST);
            }
        }
    }

    public ReadBudgets {
        if (perAddress == null || perNetwork == null) {
            throw new IllegalArgumentException("both read budgets are needed");
        }
    }

    /** An address: 4 s of CPU at once, then a quarter of a core; a network twice that (docs/performance.md). */
    public static ReadBudgets defaults() {
        return new ReadBudgets(new Budget(4_000, 250), new Budget(8_000, 500));
    }
}
