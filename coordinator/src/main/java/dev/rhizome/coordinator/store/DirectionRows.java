package dev.rhizome.coordinator.store;

import static dev.rhizome.coordinator.store.Rows.DIRECTION_COLUMNS;
import static dev.rhizome.coordinator.store.Rows.EVALUATE;
import static dev.rhizome.coordinator.store.Rows.EXPLORE;
import static dev.rhizome.coordinator.store.Rows.LEASED;
import static dev.rhizome.coordinator.store.Rows.OPEN;
import static dev.rhizome.coordinator.store.Rows.SEED_BYTES;

import dev.rhizome.coordinator.core.DirectionLoad;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Seeds, directions and their frontiers, and the operators' closures of directions, for one
 * transaction. Every claim and result reads its seed and direction, so both are remembered:
 * seeds for the whole store ({@link SeedCache}: a seed row never changes), directions and
 * closures across transactions where one process owns the database, and within the transaction
 * otherwise.
 */
final class DirectionRows implements Seeds, Directions {
    private final TransactionScope scope;
    private final Queries q;
    private final OwnedReads owned;
    private final SeedCache seeds;
    private final Map<String, Optional<Stored<Seed>>> seedMemo = new HashMap<>();
    private final Map<String, Optional<DirectionRecord>> directionMemo = new HashMap<>();
    /**
     * The directions on a commit, as this transaction read them: a settling result asks four
     * times (twice to name its locks, twice in settlement), each a round trip on PostgreSQL.
     */
    private final Map<String, List<DirectionRecord>> directionsOnMemo = new HashMap<>();
    /** Set once this transaction inserts a seed: until it commits, what it reads is not shared. */
    private boolean insertedSeed;
    private boolean wroteDirections;
    private boolean wroteClosures;
    /**
     * Closures of directions as this transaction read them, a direction absent from the map not
     * read: a claim's come with its page's units ({@link #keepClosures}), and are asked for after.
     */
    private final Map<String, String> closureMemo = new HashMap<>();
    private final Set<String> closureRead = new HashSet<>();

    DirectionRows(TransactionScope scope, SeedCache seeds) {
        this.scope = scope;
        this.q = scope.queries;
        this.owned = scope.owned;
        this.seeds = seeds;
    }

    /** Forgets what this transaction read of directions (seeds never change). */
    void forgetReads() {
        directionMemo.clear();
        directionsOnMemo.clear();
        closureRead.clear();
        closureMemo.clear();
    }

    @Override
    public Optional<Stored<Seed>> seed(String name) {
        Optional<Stored<Seed>> memo = seedMemo.get(name);
        if (memo != null) {
            return memo;
        }
        Optional<Stored<Seed>> shared = seeds.get(name);
        if (shared.isPresent()) {
            return shared;
        }
        Optional<Stored<Seed>> read = Queries.first(q.list("SELECT " + SEED_BYTES + " FROM seeds s WHERE s.name = ?",
                rs -> Rows.stored(rs.getBytes(1), Seed.parser()), name));
        seedMemo.put(name, read);
        if (read.isPresent() && !insertedSeed) {
            seeds.put(name, read.get());
        }
        return read;
    }

    @Override
    public List<Stored<Seed>> seeds() {
        return q.list("SELECT " + SEED_BYTES + " FROM seeds s ORDER BY s.envelope_seq",
                rs -> Rows.stored(rs.getBytes(1), Seed.parser()));
    }

    @Override
    public List<Stored<Seed>> seedsAt(String commit) {
        return q.list("SELECT " + SEED_BYTES + " FROM seeds s WHERE s.commit_id = ? ORDER BY s.envelope_seq",
                rs -> Rows.stored(rs.getBytes(1), Seed.parser()), commit);
    }

    @Override
    public List<Keyed<Long, Stored<Seed>>> seeds(long afterSeq, int limit) {
        return q.list("SELECT s.envelope_seq, " + SEED_BYTES + " FROM seeds s "
                        + "WHERE s.envelope_seq > ? ORDER BY s.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.stored(rs.getBytes(2), Seed.parser())), afterSeq, limit);
    }

    @Override
    public void insertSeed(Seed seed, SignedEnvelope envelope, long nowMs) {
        seedMemo.clear();
        insertedSeed = true;
        long seq = scope.insertEnvelope(envelope, Envelopes.id(envelope), nowMs);
        q.update("INSERT INTO seeds (name, commit_id, envelope_seq) VALUES (?, ?, ?)", seed.getName(), seed.getCommit(),
                seq);
    }

    @Override
    public Optional<DirectionRecord> direction(String name) {
        if (owned.enabled() && !wroteDirections) {
            return Optional.ofNullable(sharedDirections().byName().get(name));
        }
        Optional<DirectionRecord> memo = directionMemo.get(name);
        if (memo != null) {
            return memo;
        }
        Optional<DirectionRecord> read = Queries.first(q.list("SELECT " + DIRECTION_COLUMNS
                + " FROM directions d WHERE d.name = ?", Rows::direction, name));
        directionMemo.put(name, read);
        return read;
    }

    @Override
    public List<DirectionRecord> directions() {
        if (owned.enabled() && !wroteDirections) {
            return sharedDirections().inOrder();
        }
        return readDirections();
    }

    @Override
    public List<DirectionRecord> directionsOn(String commit) {
        if (owned.enabled() && !wroteDirections) {
            return sharedDirections().inOrder().stream().filter(d -> d.direction().getBaseCommit().equals(commit)
                    || d.frontier().commit().equals(commit)).toList();
        }
        return directionsOnMemo.computeIfAbsent(commit, c -> {
            Queries.Read<DirectionRecord> read = directionsOnRead(c);
            return List.copyOf(q.list(read.sql(), read.row(), read.params()));
        });
    }

    /** The directions on the commit ({@link #directionsOn}), for {@link #keepDirectionsOn}. */
    Queries.Read<DirectionRecord> directionsOnRead(String commit) {
        return new Queries.Read<>("SELECT " + DIRECTION_COLUMNS
                + " FROM directions d WHERE d.base_commit = ? OR d.frontier_commit = ? ORDER BY d.envelope_seq",
                Rows::direction, commit, commit);
    }

    /** Keeps the rows of {@link #directionsOnRead} where {@link #directionsOn} would keep what it reads. */
    @SuppressWarnings("unchecked")
    void keepDirectionsOn(String commit, List<?> rows) {
        if (!owned.enabled() && !wroteDirections) {
            directionsOnMemo.putIfAbsent(commit, List.copyOf((List<DirectionRecord>) rows));
        }
    }

    @Override
    public List<Keyed<Long, DirectionRecord>> directions(long afterSeq, int limit) {
        return q.list("SELECT " + DIRECTION_COLUMNS + ", d.envelope_seq FROM directions d "
                        + "WHERE d.envelope_seq > ? ORDER BY d.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(6), Rows.direction(rs)), afterSeq, limit);
    }

    /**
     * Directions open ({@code closed} false) or closed, opened after envelope {@code afterSeq}, in
     * the order opened: one range of the index {@code directions_by_closed} (migration 19), so a
     * page costs its rows whatever the directions and closures before it.
     */
    @Override
    public List<Keyed<Long, DirectionRecord>> directions(boolean closed, long afterSeq, int limit) {
        return q.list("SELECT " + DIRECTION_COLUMNS + ", d.envelope_seq FROM directions d "
                        + "WHERE d.closed = ? AND d.envelope_seq > ? ORDER BY d.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(6), Rows.direction(rs)), closed ? 1 : 0, afterSeq, limit);
    }

    private OwnedReads.Directions sharedDirections() {
        OwnedReads.Directions hit = owned.directions.get();
        if (hit == null) {
            hit = OwnedReads.Directions.of(readDirections());
            owned.directions.put(hit);
        }
        return hit;
    }

    private List<DirectionRecord> readDirections() {
        return q.list("SELECT " + DIRECTION_COLUMNS + " FROM directions d ORDER BY d.envelope_seq", Rows::direction);
    }

    private void wroteDirections() {
        directionMemo.clear();
        directionsOnMemo.clear();
        owned.directions.clear();
        wroteDirections = true;
    }

    @Override
    public void insertDirection(Direction direction, SignedEnvelope envelope, long nowMs) {
        wroteDirections();
        long seq = scope.insertEnvelope(envelope, Envelopes.id(envelope), nowMs);
        q.update("INSERT INTO directions (name, seed, base_commit, envelope_seq, frontier_commit) VALUES (?, ?, ?, ?, ?)",
                direction.getName(), direction.getSeed(), direction.getBaseCommit(), seq, direction.getBaseCommit());
        // a new direction has no experiment yet: its adoption candidates are kept from the first (Candidates)
        q.update("INSERT INTO adoption_candidates_kept (direction) VALUES (?) ON CONFLICT DO NOTHING", direction.getName());
        // nor a path: nothing registered from now on is an ancestor of its base (AdoptedPaths)
        q.update("INSERT INTO adopted_path_heads (direction, frontier_commit, chain) VALUES (?, ?, 1) "
                + "ON CONFLICT DO NOTHING", direction.getName(), direction.getBaseCommit());
    }

    @Override
    public void updateFrontier(String direction, Frontier frontier) {
        wroteDirections();
        q.write("UPDATE directions SET frontier_commit = ?, frontier_metric = ?, frontier_class = ? WHERE name = ?",
                frontier.commit(), frontier.metric().isPresent() ? frontier.metric().getAsDouble() : null,
                frontier.hardwareClass(), direction);
    }

    @Override
    public void setBaselineMetric(String direction, double metric) {
        wroteDirections();
        q.write("UPDATE directions SET baseline_metric = ? WHERE name = ?", metric, direction);
    }

    @Override
    public void clearBaselineMetric(String direction) {
        wroteDirections();
        q.write("UPDATE directions SET baseline_metric = NULL WHERE name = ?", direction);
    }

    /**
     * Each direction not closed by an operator, with its evaluations in progress and explorations
     * leased, in the directions' order: the open ones as one range of {@code directions_by_closed}
     * (migration 19's flag, kept by a trigger on the closures), each count a range of
     * {@code units_by_direction} over the units in progress. It went through every direction ever
     * opened, closed ones too, looking up each one's closure, on every claim that may explore.
     */
    @Override
    public List<DirectionLoad> loadsOfOpenDirections() {
        return q.list("SELECT d.name, d.seed, "
                        + "(SELECT COUNT(*) FROM units u WHERE u.direction = d.name AND u.kind = ? AND u.state IN (?, ?)), "
                        + "(SELECT COUNT(*) FROM units u WHERE u.direction = d.name AND u.kind = ? AND u.state = ?) "
                        + "FROM directions d WHERE d.closed = 0 ORDER BY d.envelope_seq",
                rs -> new DirectionLoad(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4)),
                EVALUATE, OPEN, LEASED, EXPLORE, LEASED);
    }

    @Override
    public boolean closeDirection(String direction, String reason, long nowMs) {
        owned.closures.clear();
        wroteClosures = true;
        return q.update("INSERT INTO direction_closures (direction, reason, closed_ms) VALUES (?, ?, ?) "
                + "ON CONFLICT DO NOTHING", direction, reason, nowMs) > 0;
    }

    /**
     * The closures of the directions named only: as many rows as closed among them where nothing
     * is kept; where one process owns the database, every closure is read once and kept.
     */
    @Override
    public Map<String, String> closedDirections(Collection<String> names) {
        Map<String, String> kept = keptClosures();
        Map<String, String> out = new TreeMap<>();
        if (kept != null) {
            names.stream().filter(kept::containsKey).forEach(n -> out.put(n, kept.get(n)));
            return out;
        }
        if (!wroteClosures && closureRead.containsAll(names)) {
            names.stream().filter(closureMemo::containsKey).forEach(n -> out.put(n, closureMemo.get(n)));
            return out;
        }
        q.listIn("SELECT direction, reason FROM direction_closures WHERE direction IN", names,
                rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }

    /**
     * Keeps the closures a claim's page read with its units ({@code ClaimQueue}): each direction
     * named, with its closure's reason, or null where it is open. Not where the closures are kept
     * across transactions, or this transaction wrote one (it is then read again).
     */
    void keepClosures(Map<String, String> reasonOrNullByDirection) {
        if (owned.enabled() || wroteClosures) {
            return;
        }
        reasonOrNullByDirection.forEach((direction, reason) -> {
            closureRead.add(direction);
            if (reason != null) {
                closureMemo.put(direction, reason);
            }
        });
    }

    @Override
    public Map<String, String> closedDirections() {
        Map<String, String> kept = keptClosures();
        return new TreeMap<>(kept != null ? kept : readClosures());
    }

    /** Every closure, kept across transactions where one process owns the database; null where none are kept. */
    private Map<String, String> keptClosures() {
        if (!owned.enabled() || wroteClosures) {
            return null;
        }
        Map<String, String> hit = owned.closures.get();
        if (hit == null) {
            hit = Map.copyOf(readClosures());
            owned.closures.put(hit);
        }
        return hit;
    }

    private Map<String, String> readClosures() {
        Map<String, String> out = new TreeMap<>();
        q.list("SELECT direction, reason FROM direction_closures", rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }
}
