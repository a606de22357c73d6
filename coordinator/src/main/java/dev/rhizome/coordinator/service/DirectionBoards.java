package dev.rhizome.coordinator.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.LeaderboardList;
import java.time.Duration;

/**
 * The directions' boards ({@link DirectionBoard}) this coordinator keeps, bounded: by their
 * estimated weight in all (the least used dropped first), and each dropped once nobody asked for
 * it for {@link #IDLE}. A dropped board is built again from the direction's history at its next
 * ask, and ranks as the one kept would have. Before, every board ever asked for was kept for the
 * life of the process, each with every experiment's 16 KiB description: asking once for each of
 * many directions (any key may open them) grew the heap without bound.
 *
 * <p>A board that never built (an unknown direction's) is not kept. A single direction whose
 * board outweighs the whole bound is not kept either: it is built from its history at each ask
 * (still shared while fresh among those who ask together).
 */
final class DirectionBoards {
    /** About 1,500 boards of a hundred experiments and results each, or a few of 100,000. */
    static final long MAX_WEIGHT = 128L << 20;
    /** The dashboard asks for the boards it shows every 3 s while it is open. */
    static final Duration IDLE = Duration.ofMinutes(10);

    private final Store store;
    private final SharedViews clock;
    private final Cache<String, DirectionBoard> boards;

    DirectionBoards(Store store, SharedViews clock) {
        this(store, clock, MAX_WEIGHT, IDLE, Ticker.systemTicker());
    }

    DirectionBoards(Store store, SharedViews clock, long maxWeight, Duration idle, Ticker ticker) {
        this.store = store;
        this.clock = clock;
        // maintenance (eviction) on the asking thread: cheap, and the bound holds when an ask returns
        this.boards = Caffeine.newBuilder().maximumWeight(maxWeight)
                .weigher((String name, DirectionBoard board) -> board.weight())
                .expireAfterAccess(idle).ticker(ticker).executor(Runnable::run).build();
    }

    /** The direction's boards without descriptions but the base's ({@link DirectionBoard#ranking}). */
    LeaderboardList ranking(String direction) {
        DirectionBoard board = boards.get(direction, name -> new DirectionBoard(name, clock.newCopy()));
        LeaderboardList ranked;
        try {
            ranked = board.ranking(store);
        } catch (RuntimeException | Error e) {
            if (!board.built()) {
                boards.asMap().remove(direction, board);
            }
            throw e;
        }
        // weighed again as it is now (the cache weighs an entry when it is written)
        boards.asMap().computeIfPresent(direction, (name, kept) -> kept);
        return ranked;
    }

    /** The boards kept now. */
    long size() {
        boards.cleanUp();
        return boards.estimatedSize();
    }

    /** Their weight in all now. */
    long weight() {
        boards.cleanUp();
        return boards.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }
}
