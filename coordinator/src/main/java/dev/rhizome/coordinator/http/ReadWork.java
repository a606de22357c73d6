package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.ReadBudgets;
import dev.rhizome.coordinator.core.AddressScope;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Each address's and each network's budget of CPU spent answering its reads (GET and HEAD): a
 * bucket of CPU time that fills at a steady rate up to a burst and is drawn down by what each
 * answer cost, measured after the fact ({@link CpuClock}). An address or network whose bucket is
 * empty gets {@code 429} for its reads, with when to come back, until it has refilled.
 *
 * <p>Why measured cost and not a rule per route: the probe (docs/performance.md) found one
 * unauthenticated client could make the coordinator spend hundreds of times a {@code /healthz}'s CPU
 * per request (a 1,000-item page of results or trials, a leaderboard of a long direction, the
 * dashboard), each within every other bound (rows read, reply bytes, a worker share). A rule per
 * route is always a step behind the routes; what was spent is not. A request is never refused for
 * what it might cost, only for what its sender already spent, so the request that empties a bucket
 * is still answered, and the debt it leaves is bounded by one answer's cost.
 *
 * <p>Honest light use (a dashboard every few seconds, an agent's or node's reads) spends a few
 * milliseconds a second, far under the refill; the budget bites a client that asks for expensive
 * pages as fast as it can. An address is its {@link AddressScope} (an IPv6 /64), a network its
 * {@link AddressScope#network} (IPv4 /24, IPv6 /48), so many addresses of one network share the
 * network's bucket, as they share its workers. No I/O: the owner supplies the clock.
 *
 * <p>On PostgreSQL a read's views wait on the database, whose work is not the thread's CPU: that
 * wait ({@code store.DatabaseTime}) is charged with the CPU, so a read the database works hard on
 * costs its sender what it cost.
 */
final class ReadWork {
    /** How much CPU one scope may spend at once, and how fast that comes back. */
    record Budget(long burstNanos, long refillNanosPerSecond) {
        Budget {
            if (burstNanos < 1 || refillNanosPerSecond < 1) {
                throw new IllegalArgumentException("a read budget's burst and refill must be positive");
            }
        }
    }

    /**
     * An address: 4 s of CPU at once, then a quarter of a core. A network: twice that. Measured
     * (docs/performance.md) the costliest single reads take tens of milliseconds, a dashboard a few.
     */
    static final Budget PER_ADDRESS = new Budget(4_000_000_000L, 250_000_000L);
    static final Budget PER_NETWORK = new Budget(8_000_000_000L, 500_000_000L);
    /** Buckets kept before full ones (which say nothing) are first dropped. */
    private static final int PRUNE_ABOVE = 4096;

    private final Budget perAddress;
    private final Budget perNetwork;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> addresses = new HashMap<>();
    private final Map<String, Bucket> networks = new HashMap<>();
    /**
     * The size at which the maps are next pruned: twice what a prune left, so that many addresses in
     * debt at once (a /48 holds 65,536 /64s) cost a walk per doubling, not one per request.
     */
    private int pruneAt = PRUNE_ABOVE;

    /** CPU time owed: 0 is a full bucket, {@code burst} an empty one; past it the scope is in debt. */
    private static final class Bucket {
        long spent;
        long at;

        Bucket(long now) {
            at = now;
        }

        /** Pays back what the time since the last look refills. */
        void refill(long now, Budget budget) {
            long elapsed = Math.max(0, now - at);
            at = now;
            // refill = elapsed seconds * rate, without overflow for long idle gaps
            double back = elapsed / 1e9 * budget.refillNanosPerSecond();
            spent = back >= spent ? 0 : spent - (long) back;
        }
    }

    ReadWork(Budget perAddress, Budget perNetwork, LongSupplier nanoTime) {
        this.perAddress = perAddress;
        this.perNetwork = perNetwork;
        this.nanoTime = nanoTime;
    }

    static ReadWork defaults() {
        return new ReadWork(PER_ADDRESS, PER_NETWORK, System::nanoTime);
    }

    /** The budgets an operator set ({@code read_budget} in the config file), on the system's clock. */
    static ReadWork of(ReadBudgets budgets) {
        return new ReadWork(nanos(budgets.perAddress()), nanos(budgets.perNetwork()), System::nanoTime);
    }

    private static Budget nanos(ReadBudgets.Budget b) {
        return new Budget(b.burstMs() * 1_000_000L, b.refillMsPerSecond() * 1_000_000L);
    }

    /** Counts {@code nanos} of CPU spent on a read of {@code scope} (an {@link AddressScope}). */
    synchronized void spent(String scope, long nanos) {
        if (nanos <= 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        charge(addresses, scope, perAddress, now, nanos);
        charge(networks, AddressScope.network(scope), perNetwork, now, nanos);
        if (addresses.size() > pruneAt || networks.size() > pruneAt) {
            prune(addresses, perAddress, now);
            prune(networks, perNetwork, now);
            pruneAt = Math.max(PRUNE_ABOVE, 2 * Math.max(addresses.size(), networks.size()));
        }
    }

    /**
     * Null when {@code scope} may read now; else the refusal, naming which budget is spent and in
     * how many whole seconds it will have room again (at least 1).
     */
    synchronized Refusal refusal(String scope) {
        long now = nanoTime.getAsLong();
        Refusal address = owed(addresses.get(scope), perAddress, now, "this address's");
        if (address != null) {
            return address;
        }
        return owed(networks.get(AddressScope.network(scope)), perNetwork, now, "this network's");
    }

    /** Why reads are refused, and when to come back. */
    record Refusal(String message, long retryAfterSeconds) {
    }

    /** Buckets kept now, addresses' and networks' (a test's look at the pruning). */
    synchronized int kept() {
        return addresses.size() + networks.size();
    }

    private static void charge(Map<String, Bucket> buckets, String key, Budget budget, long now, long nanos) {
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(now));
        bucket.refill(now, budget);
        bucket.spent = bucket.spent > Long.MAX_VALUE - nanos ? Long.MAX_VALUE : bucket.spent + nanos;
    }

    private static Refusal owed(Bucket bucket, Budget budget, long now, String whose) {
        if (bucket == null) {
            return null;
        }
        bucket.refill(now, budget);
        long over = bucket.spent - budget.burstNanos();
        if (over <= 0) {
            return null;
        }
        // Back when the debt is repaid and a tenth of the burst is free again, so the next answer fits.
        double seconds = (over + budget.burstNanos() / 10.0) / budget.refillNanosPerSecond();
        long retry = Math.max(1, (long) Math.ceil(seconds));
        // "time", not "CPU": on PostgreSQL the time a read's views wait on the database is charged too
        return new Refusal(whose + " budget of time for reads (CPU and database time) is spent (" + budget.burstNanos() / 1_000_000
                + " ms at once, " + budget.refillNanosPerSecond() / 1_000_000 + " ms a second): ask again in "
                + retry + " s, and ask for smaller pages or less often", retry);
    }

    private static void prune(Map<String, Bucket> buckets, Budget budget, long now) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            Bucket bucket = it.next();
            bucket.refill(now, budget);
            if (bucket.spent == 0) {
                it.remove();
            }
        }
    }
}
