package dev.rhizome.coordinator.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.WriteVersion;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Pages of the read routes built once and shared by everyone who asks for the same page (route and
 * query) while no write has ended since: many clients asking for one page of 1,000 trials each paid
 * for its build (150-240 times a {@code /healthz}). Those asking while it is being built wait for
 * that build rather than start their own.
 *
 * <p>Correct by construction, not by a guess at what a write touches: a page is kept under the
 * store's {@link Store#writeVersion} read before its build, and found only while the version is
 * the same. Every write transaction of this process moves it before its caller is answered, so a
 * write this coordinator acknowledged is in every page served after the acknowledgement. Other
 * coordinators' writes on a shared PostgreSQL do not move it: there a page is served at most
 * {@link #OTHERS_BOUND_NANOS} after its build began, which bounds how long a write another
 * coordinator acknowledged can stay out of a page served here (a version every writer of the
 * database moved would be one more row every writer waits on). A SQLite store is written by its
 * own process only; its pages go once idle for {@link #IDLE_NANOS}.
 *
 * <p>Bounded by the bytes the pages encode to ({@link #MAX_BYTES}); a failed build leaves nothing.
 * Those waiting on another's build wait at most {@link #WAIT_NANOS}: a build stalled on the
 * database (a PostgreSQL view may run to its {@code read_timeout}, 300 s) held every one of them,
 * each a worker, for as long. Past the bound a waiter is refused {@code 503 UNAVAILABLE}, saying to
 * ask again; the build runs on, and its page serves those who ask once it is done.
 */
public final class SharedPages {
    /**
     * Bytes of pages kept at most, by their encoded size: 30 pages of 1,000 trials. A page's heap is
     * up to a few times that (a trial's small objects), so this is kept well under the encodings' 64 MiB.
     */
    static final long MAX_BYTES = 16L << 20;
    /** How long a page is served after its build began, where other processes write the store. */
    static final long OTHERS_BOUND_NANOS = 1_000_000_000L;
    /** How long a page is kept unasked where only this process writes (a newer version finds it no more). */
    static final long IDLE_NANOS = 60_000_000_000L;
    /** How long an ask waits for an identical ask's build before it is refused 503 (the write bound's default). */
    static final long WAIT_NANOS = 10_000_000_000L;

    private record Key(String route, List<String> query, long version) {
    }

    private record Built(Message page, long startedNanos) {
    }

    private final Store store;
    private final LongSupplier nanoTime;
    private final long waitNanos;
    private final Cache<Key, Built> kept;
    private final ConcurrentHashMap<Key, CompletableFuture<Message>> building = new ConcurrentHashMap<>();
    private final LongAdder built = new LongAdder();
    private final LongAdder shared = new LongAdder();
    private final LongAdder waitedOut = new LongAdder();

    public SharedPages(Store store) {
        this(store, System::nanoTime, WAIT_NANOS);
    }

    SharedPages(Store store, LongSupplier nanoTime) {
        this(store, nanoTime, WAIT_NANOS);
    }

    SharedPages(Store store, LongSupplier nanoTime, long waitNanos) {
        this.store = store;
        this.nanoTime = nanoTime;
        this.waitNanos = waitNanos;
        boolean othersWrite = store.writtenByOthers();
        kept = Caffeine.newBuilder().maximumWeight(MAX_BYTES)
                .weigher((Key k, Built b) -> b.page().getSerializedSize() + 64 * (1 + k.query().size()))
                .expireAfter(new Expiry<Key, Built>() {
                    @Override
                    public long expireAfterCreate(Key key, Built built, long now) {
                        return othersWrite ? Math.max(0, OTHERS_BOUND_NANOS - (now - built.startedNanos())) : IDLE_NANOS;
                    }

                    @Override
                    public long expireAfterUpdate(Key key, Built built, long now, long remaining) {
                        return expireAfterCreate(key, built, now);
                    }

                    @Override
                    public long expireAfterRead(Key key, Built built, long now, long remaining) {
                        return othersWrite ? remaining : IDLE_NANOS;
                    }
                })
                .ticker(nanoTime::getAsLong).executor(Runnable::run).build();
    }

    /**
     * The page of {@code route} for {@code query} (the request's parameters as given, in a fixed
     * order): the one kept for the store's present version, the one being built for it, or one
     * built now by {@code build}. A build that fails is thrown to its caller only; those who waited
     * on it build their own. One who waits longer than the wait bound for another's build is
     * refused {@code UNAVAILABLE} (a 503).
     */
    @SuppressWarnings("unchecked")
    public <T extends Message> T get(String route, List<String> query, Supplier<T> build) {
        long version = store.writeVersion();
        if (version == WriteVersion.NONE) {
            return build.get();
        }
        Key key = new Key(route, List.copyOf(query), version);
        Built found = kept.getIfPresent(key);
        if (found != null) {
            shared.increment();
            return (T) found.page();
        }
        CompletableFuture<Message> mine = new CompletableFuture<>();
        CompletableFuture<Message> theirs = building.putIfAbsent(key, mine);
        if (theirs != null) {
            try {
                T page = (T) theirs.get(waitNanos, TimeUnit.NANOSECONDS);
                shared.increment();
                return page;
            } catch (TimeoutException e) {
                waitedOut.increment();
                throw stillBuilding(waitNanos);
            } catch (ExecutionException e) {
                return build.get();  // its failure (a refusal, a timeout) was its caller's to report
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a shared page's build", e);
            }
        }
        long started = nanoTime.getAsLong();
        try {
            built.increment();
            T page = build.get();
            kept.put(key, new Built(page, started));
            mine.complete(page);
            return page;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            building.remove(key, mine);
        }
    }

    /** The refusal of an ask that waited {@code waitNanos} for an identical ask's build (a 503). */
    static Rejection stillBuilding(long waitNanos) {
        return new Rejection(dev.rhizome.proto.v1.Error.Code.UNAVAILABLE, "an identical request's answer has been building"
                + " for over " + TimeUnit.NANOSECONDS.toSeconds(waitNanos) + " s (the coordinator's database is slow or"
                + " busy); ask again in a few seconds, when it may be ready");
    }

    /** Pages built for a version the store had (metric {@code rhizome_shared_pages_total{outcome="built"}}). */
    public long built() {
        return built.sum();
    }

    /** Pages answered from one kept or being built (metric {@code rhizome_shared_pages_total{outcome="shared"}}). */
    public long shared() {
        return shared.sum();
    }

    /** Asks refused 503 after waiting the bound for another's build (metric {@code rhizome_shared_pages_total{outcome="waited_out"}}). */
    public long waitedOut() {
        return waitedOut.sum();
    }

    /** Asks waiting now for a build in flight (a test's look). */
    int waiting() {
        return building.values().stream().mapToInt(CompletableFuture::getNumberOfDependents).sum();
    }
}
