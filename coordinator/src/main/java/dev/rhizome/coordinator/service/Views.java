package dev.rhizome.coordinator.service;

import dev.rhizome.protocol.LogSafe;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.coordinator.core.Cursor;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.PaperFilter;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.Sealing;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.core.TrialRequeues;
import dev.rhizome.proto.v1.OperatorRequeue;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Confirmations;
import dev.rhizome.coordinator.store.HistoryCounts;
import dev.rhizome.coordinator.store.Keyed;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.coordinator.store.Units;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExperimentReportList;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.UnderWayList;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;

/** The read side: lists, leaderboards and stats, each from one consistent snapshot. */
public final class Views {
    private final Store store;
    private final LongSupplier rejectedSignatures;
    private final NetworkId networkId;
    private final LongSupplier nowMs;

    /** The directions' boards, brought up to date at each build; idle ones dropped, and all bounded by weight. */
    private final DirectionBoards boards;
    private final BoardDescriptions descriptions;
    /** The costly pages, shared by identical asks while no write has ended since ({@link SharedPages}). */
    private final SharedPages pages;

    public Views(Store store, LongSupplier rejectedSignatures) {
        this(store, rejectedSignatures, System::currentTimeMillis);
    }

    /** The coordinator's clock, as the views read it (which nodes were seen lately). */
    long nowMs() {
        return nowMs.getAsLong();
    }

    /** @param nowMs the coordinator's clock: which nodes were seen lately, for an experiment's wait */
    public Views(Store store, LongSupplier rejectedSignatures, LongSupplier nowMs) {
        this(store, rejectedSignatures, new DirectionBoards(store, new SharedViews()), new BoardDescriptions(store), nowMs);
    }

    /** With the shared views' clock given, for tests that hold it still. */
    Views(Store store, LongSupplier rejectedSignatures, SharedViews shared) {
        this(store, rejectedSignatures, new DirectionBoards(store, shared), new BoardDescriptions(store));
    }

    /** With the boards and their descriptions given, for tests of their bounds. */
    Views(Store store, LongSupplier rejectedSignatures, DirectionBoards boards, BoardDescriptions descriptions) {
        this(store, rejectedSignatures, boards, descriptions, System::currentTimeMillis);
    }

    private Views(Store store, LongSupplier rejectedSignatures, DirectionBoards boards, BoardDescriptions descriptions,
            LongSupplier nowMs) {
        this.nowMs = nowMs;
        this.store = store;
        this.rejectedSignatures = rejectedSignatures;
        this.pages = new SharedPages(store);
        this.boards = boards;
        this.descriptions = descriptions;
        this.networkId = new NetworkId(store);
    }

    // Each list that grows with history is read a page at a time (docs/api.md "Paging"): a
    // cursor names the list it came from and carries the sort key of the page's last item.
    public static final String SEEDS = "seeds";
    public static final String DIRECTIONS = "directions";
    public static final String EXPERIMENTS = "experiments";
    public static final String RESULTS = "results";
    public static final String PAPERS = "papers";
    public static final String UNITS = "units";
    public static final String AUDIT = "audit";
    public static final String TRIALS = "trials";
    public static final String VOLUNTEERS = "volunteers";
    public static final String ADOPTIONS = "adoptions";
    public static final String CONFIRMATIONS = "confirmations";

    /** How many parts a list's cursor has: one sequence number, except where the order has more keys. */
    public static int cursorParts(String list) {
        return cursorFields(list).size();
    }

    /**
     * What each part of a list's cursor holds (its sort key, as {@link #seqCursor} and the lists'
     * own cursors write it): one sequence number from 0, except units (negative when queued ahead)
     * and where the order has more keys.
     */
    public static List<Cursor.Field> cursorFields(String list) {
        return switch (list) {
            case UNITS -> List.of(Cursor.Field.SIGNED_POSITION);
            case VOLUNTEERS -> List.of(Cursor.Field.POSITION, Cursor.Field.COUNT, Cursor.Field.KEY);
            case ADOPTIONS -> List.of(Cursor.Field.POSITION, Cursor.Field.POSITION, Cursor.Field.NAME, Cursor.Field.COMMIT);
            case CONFIRMATIONS -> List.of(Cursor.Field.POSITION, Cursor.Field.COMMIT);
            case SEEDS, DIRECTIONS, EXPERIMENTS, RESULTS, PAPERS, AUDIT, TRIALS -> List.of(Cursor.Field.POSITION);
            default -> throw new IllegalArgumentException("no list " + list);
        };
    }

    private static long afterSeq(PageRequest page) {
        return page.after().map(c -> c.number(0)).orElse(0L);
    }

    private static Function<Long, Cursor> seqCursor(String list) {
        return seq -> Cursor.of(list, seq);
    }

    public SeedList seeds(PageRequest page) {
        return store.inReadTransaction(tx -> {
            Pages.Page<Stored<Seed>> p = Pages.bounded(afterSeq(page), page.limit(),
                    tx::seeds, s -> s.envelope().getSerializedSize(), seqCursor(SEEDS));
            return SeedList.newBuilder().addAllSeeds(p.items().stream().map(Stored::record).toList())
                    .setNext(p.next()).build();
        });
    }

    public DirectionList directions(PageRequest page) {
        return store.inReadTransaction(tx -> {
            Pages.Page<DirectionRecord> p = Pages.bounded(afterSeq(page), page.limit(), tx::directions,
                    d -> d.direction().getSerializedSize(), seqCursor(DIRECTIONS));
            List<String> names = p.items().stream().map(DirectionRecord::name).toList();
            return directionList(p.items(), tx.closedDirections(names), tx.directionCounts(names), requeues(tx, p.items()))
                    .toBuilder().setNext(p.next()).build();
        });
    }

    /** Operators' re-queue orders a direction's view lists, newest first; the count says how many there are. */
    static final int OPERATOR_REQUEUES_SHOWN = 10;

    /**
     * The operators' re-queue orders of each direction of the page, in one read (since round 37),
     * and why each unmeasured base is not measured, where its trials were queued again: the
     * requeues of the page's unmeasured bases in one read, and the pending trials of those queued
     * again in one more (a read a direction was a page's cost before round 36).
     */
    private static Map<String, DirectionStatus> requeues(Store.Transaction tx, List<DirectionRecord> page) {
        // operators' orders, shown wherever the direction is, measured or not: one read a page
        Map<String, List<OperatorRequeue>> orders = tx.operatorRequeues(page.stream().map(DirectionRecord::name).toList());
        Map<String, DirectionStatus> requeues = new HashMap<>();
        orders.forEach((name, list) -> requeues.put(name, DirectionStatus.newBuilder()
                .addAllOperatorRequeues(list.subList(0, Math.min(list.size(), OPERATOR_REQUEUES_SHOWN)))
                .setOperatorRequeueCount(list.size()).build()));
        List<DirectionRecord> unmeasured = page.stream().filter(d -> !d.frontier().isMeasured()).toList();
        if (unmeasured.isEmpty()) {
            return requeues;
        }
        Map<String, Map<Long, Integer>> times = tx.trialRequeues(
                unmeasured.stream().map(d -> d.frontier().commit()).toList());
        if (times.isEmpty()) {
            return requeues;
        }
        Map<String, Set<Long>> pending = tx.pendingTrialSeeds(times.keySet());
        for (DirectionRecord d : unmeasured) {
            String base = d.frontier().commit();
            Map<Long, Integer> queued = times.getOrDefault(base, Map.of());
            if (!queued.isEmpty()) {
                List<Long> spent = TrialRequeues.spent(queued, s -> pending.getOrDefault(base, Set.of()).contains(s));
                Map<Long, Integer> byOperators = TrialRequeues.byOperators(orders.getOrDefault(d.name(), List.of()), base);
                requeues.merge(d.name(), DirectionStatus.newBuilder()
                        .setNotMeasuredReason(TrialRequeues.unmeasuredBase(queued, spent, byOperators))
                        .setRequeuesSpent(!spent.isEmpty()).build(), (a, b) -> a.toBuilder().mergeFrom(b).build());
            }
        }
        return requeues;
    }

    /**
     * Each named direction's experiments and results, from the counts the store keeps as it
     * writes (a row per direction), never a count over the history.
     */
    public Map<String, HistoryCounts.OfDirection> directionCounts(Collection<String> names) {
        return store.inReadTransaction(tx -> tx.directionCounts(names));
    }

    private static DirectionList directionList(List<DirectionRecord> directions, Map<String, String> closed,
            Map<String, HistoryCounts.OfDirection> counts, Map<String, DirectionStatus> requeues) {
        DirectionList.Builder list = DirectionList.newBuilder();
        for (DirectionRecord d : directions) {
            HistoryCounts.OfDirection n = counts.getOrDefault(d.name(), HistoryCounts.OfDirection.NONE);
            DirectionStatus.Builder s = DirectionStatus.newBuilder()
                    .setDirection(d.direction())
                    .setFrontierCommit(d.frontier().commit())
                    .setHardwareClass(d.frontier().isMeasured() ? d.frontier().hardwareClass() : "")
                    .setExperiments((int) Math.min(Integer.MAX_VALUE, n.experiments()))
                    .setResults((int) Math.min(Integer.MAX_VALUE, n.results()));
            if (closed.containsKey(d.name())) {
                s.setClosed(true).setClosedReason(closed.get(d.name()));
            }
            d.frontier().metric().ifPresent(m -> s.setFrontierMetric(m).setHasFrontierMetric(true));
            d.baselineMetric().ifPresent(m -> s.setBaselineMetric(m).setHasBaselineMetric(true));
            if (requeues.containsKey(d.name())) {
                s.mergeFrom(requeues.get(d.name()));
            }
            list.addDirections(s);
        }
        return list.build();
    }

    public ExperimentList experiments(String direction, PageRequest page) {
        return pages.get(EXPERIMENTS, query(page, direction), () -> store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            Pages.Page<Stored<Experiment>> p = Pages.bounded(afterSeq(page), page.limit(),
                    (from, rows) -> tx.experiments(direction, from, rows), e -> e.envelope().getSerializedSize(),
                    seqCursor(EXPERIMENTS));
            return ExperimentList.newBuilder().addAllEnvelopes(p.items().stream().map(Stored::envelope).toList())
                    .setNext(p.next()).setNewest(p.last()).build();
        }));
    }

    public EnvelopeList results(String direction, String commit, PageRequest page) {
        if (!commit.isEmpty()) {
            // "?commit=abc123" (a prefix) matched no row: an empty list, as if nobody had run it
            RequestRules.queryCommit("commit", commit);
        }
        return pages.get(RESULTS, query(page, direction, commit), () -> store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            Pages.Page<Keyed<Long, SignedEnvelope>> p = Pages.bounded(afterSeq(page), page.limit(),
                    withKeys((from, rows) -> tx.resultEnvelopes(direction, commit, from, rows)),
                    k -> k.value().getSerializedSize(), seqCursor(RESULTS));
            return sealed(tx, p.items()).setNext(p.next()).setNewest(p.last()).build();
        }));
    }

    /**
     * A direction's newest experiments, newest first: {@code page.limit()} of them before the
     * cursor {@code page.after()} (from the newest without one), with {@code next} for the older
     * ones (`rhizome log` pages a direction's history so). One cursor position serves both orders:
     * the answer's {@code newest}, passed as {@code after} to the list read oldest first, returns
     * only what was registered since.
     */
    public ExperimentList newestExperiments(String direction, PageRequest page) {
        if (direction.isEmpty()) {
            throw Rejection.badRequest("query parameter newest needs direction");
        }
        long before = page.after().map(c -> c.number(0)).orElse(Long.MAX_VALUE);
        // Read newest first in chunks that stop at the byte cap (Pages.bounded): reading all n at once
        // materialised up to 1,000 experiments of 16 KiB descriptions to send a few hundred.
        return pages.get("newest " + EXPERIMENTS, query(page, direction), () -> store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            Pages.Page<Stored<Experiment>> p = Pages.bounded(before, page.limit(),
                    (from, rows) -> tx.newestExperiments(direction, from, rows),
                    e -> e.envelope().getSerializedSize(), seqCursor(EXPERIMENTS));
            return ExperimentList.newBuilder().addAllEnvelopes(p.items().stream().map(Stored::envelope).toList())
                    .setNext(p.next()).setNewest(p.first()).build();
        }));
    }

    /**
     * The newest {@code n} results, newest first, in one list (no next page): of a direction or all,
     * of a commit or all (`rhizome results --limit N` reads them so, not the whole listing).
     */
    public EnvelopeList newestResults(String direction, String commit, int n) {
        if (!commit.isEmpty()) {
            RequestRules.queryCommit("commit", commit);
        }
        // `newest`: the cursor at the newest result, for a later "what came since" (`results --new`)
        return pages.get("newest " + RESULTS, List.of(direction, commit, Integer.toString(n)),
                () -> store.inReadTransaction(tx -> {
                    requireKnown(tx, direction);
                    Pages.Page<Keyed<Long, SignedEnvelope>> p = Pages.bounded(Long.MAX_VALUE, n,
                            withKeys((before, rows) -> tx.newestResultEnvelopes(direction, commit, before, rows)),
                            k -> k.value().getSerializedSize(), seqCursor(RESULTS));
                    return sealed(tx, p.items()).setNewest(p.first()).build();
                }));
    }

    /** Newest first: the cursor is the oldest paper shown, and the next page is older still. */
    public EnvelopeList papers(String direction, PageRequest page) {
        return papers(direction, PaperFilter.NONE, false, page);
    }

    /**
     * Papers the filter keeps, newest first (the cursor is the oldest paper shown, the next page
     * older still) or, {@code oldestFirst}, after the cursor oldest first: from the {@code newest}
     * of an earlier answer, what was published since (`rhizome papers --new`). Either way the answer's
     * {@code newest} is the cursor at its newest paper. A filter is applied during the walk
     * ({@link Pages#matching}), so a page holds {@code limit} matches.
     */
    public EnvelopeList papers(String direction, PaperFilter filter, boolean oldestFirst, PageRequest page) {
        long from = page.after().map(c -> c.number(0)).orElse(oldestFirst ? 0L : Long.MAX_VALUE);
        List<String> query = new ArrayList<>(query(page, direction, filter.commit(), oldestFirst ? "oldest" : "newest"));
        query.addAll(filter.words());
        return pages.get(PAPERS, query, () -> store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            Pages.SeqReader<SignedEnvelope> reader = oldestFirst
                    ? (after, rows) -> tx.papersAfter(direction, after, rows)
                    : (before, rows) -> tx.papers(direction, before, rows);
            Pages.Page<SignedEnvelope> p = filter.keepsAll()
                    ? Pages.bounded(from, page.limit(), reader, SignedEnvelope::getSerializedSize, seqCursor(PAPERS))
                    : Pages.matching(from, page.limit(), reader, e -> filter.keeps(paper(e)),
                            SignedEnvelope::getSerializedSize, e -> filter.work(e.getSerializedSize()), seqCursor(PAPERS));
            return envelopes(p).toBuilder().setNewest(oldestFirst ? p.last() : p.first()).build();
        }));
    }

    /** A stored paper's record: it was verified before it was stored, so reading it back only parses. */
    private static Paper paper(SignedEnvelope envelope) {
        try {
            return Paper.parseFrom(envelope.getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored paper is corrupt: " + e.getMessage(), e);
        }
    }

    private static EnvelopeList envelopes(Pages.Page<SignedEnvelope> page) {
        return EnvelopeList.newBuilder().addAllEnvelopes(page.items()).setNext(page.next()).build();
    }

    /** One experiment's outcome with its results and papers (see {@link ExperimentReports}). */
    public ExperimentReport experimentReport(String commit) {
        return new ExperimentReports(store, nowMs).report(commit);
    }

    /** Several experiments' reports in one answer (see {@link ExperimentReports#reports}). */
    public ExperimentReportList experimentReports(String commits) {
        return new ExperimentReports(store, nowMs).reports(commits);
    }

    public EnvelopeList auditTrail(PageRequest page) {
        return pages.get(AUDIT, query(page), () -> store.inReadTransaction(tx -> {
            Pages.Page<Keyed<Long, SignedEnvelope>> p = Pages.bounded(afterSeq(page), page.limit(),
                    withKeys(tx::auditTrail), k -> k.value().getSerializedSize(), seqCursor(AUDIT));
            return sealed(tx, p.items()).setNext(p.next()).setNewest(p.last()).build();
        }));
    }

    /** A reader whose items keep their keys: a sealed envelope's place is named by its key in the trail. */
    private static <T> Pages.SeqReader<Keyed<Long, T>> withKeys(Pages.SeqReader<T> reader) {
        return (from, rows) -> reader.read(from, rows).stream().map(k -> new Keyed<>(k.key(), k)).toList();
    }

    /**
     * A page of signed envelopes as shown ({@link Sealing}): a result whose trial has a replica out
     * is named by its place, not served, read in the same snapshot as the page.
     */
    private static EnvelopeList.Builder sealed(Units tx, List<Keyed<Long, SignedEnvelope>> items) {
        List<SignedEnvelope> envelopes = items.stream().map(Keyed::value).toList();
        return sealing(tx, Sealing.resultCommits(envelopes)).page(envelopes, items.stream().map(Keyed::key).toList());
    }

    /** Which of {@code commits}' trials are sealed now: one read of their seeds with a unit out. */
    static Sealing sealing(Units tx, Collection<String> commits) {
        return commits.isEmpty() ? Sealing.NONE : Sealing.of(tx.pendingTrialSeeds(commits));
    }

    public LeaderboardList leaderboard(String direction, String hardwareClass) {
        return leaderboard(direction, hardwareClass, 0);
    }

    /**
     * The direction's boards, only {@code hardwareClass}'s when not empty, each cut to its best
     * {@code limit} entries when positive. Every class's boards are ranked together and shared
     * while fresh ({@link DirectionBoards}), so a different class or limit does not make a request
     * a fresh build; the entries shown are described as they are sent ({@link BoardDescriptions}).
     */
    public LeaderboardList leaderboard(String direction, String hardwareClass, int limit) {
        if (direction.isEmpty()) {
            throw Rejection.badRequest("query parameter direction is required");
        }
        if (limit < 0) {
            throw Rejection.badRequest("query parameter limit must not be negative");
        }
        LeaderboardList all = boards.ranking(direction);
        // A limit past every board's size asks for what no limit asks for: one answer, not one per
        // spelling, so varying it does not make each ask a fresh answer (and a fresh encoding).
        int largest = all.getLeaderboardsList().stream().mapToInt(Leaderboard::getEntriesCount).max().orElse(0);
        // and every class no board has is one (empty) answer, however it is spelled
        boolean known = hardwareClass.isEmpty()
                || all.getLeaderboardsList().stream().anyMatch(b -> b.getHardwareClass().equals(hardwareClass));
        AnswerKey key = known ? new AnswerKey(direction, hardwareClass, limit >= largest ? 0 : limit)
                : new AnswerKey(direction, NO_CLASS, 0);
        SharedAnswer kept = answers.getIfPresent(key);
        if (kept != null && kept.ranking() == all) {
            return kept.answer();  // the same instance while the ranking is: its encodings are kept too
        }
        LeaderboardList answer = answer(all, key.hardwareClass(), key.limit());
        answers.put(key, new SharedAnswer(all, answer));
        return answer;
    }

    /** The key of every hardware class no board has: no board's class is a NUL. */
    private static final String NO_CLASS = "\u0000";

    /** A leaderboard's ask: what makes its answer. */
    private record AnswerKey(String direction, String hardwareClass, int limit) {
    }

    /** An answer and the ranking it was cut from: current while the ranking is the same instance. */
    private record SharedAnswer(LeaderboardList ranking, LeaderboardList answer) {
    }

    /**
     * Leaderboard answers by ask, shared by identity with every asker while their ranking is current
     * (http.EncodedAnswers keeps their encodings): a direction's whole board was built and encoded
     * per ask (docs/performance.md). Bounded by their bytes and their rankings' (64 MiB as encoded;
     * a stale ranking is held by its answer until replaced), admitted by how often they are asked.
     */
    private final com.github.benmanes.caffeine.cache.Cache<AnswerKey, SharedAnswer> answers =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumWeight(64L << 20)
                    .weigher((AnswerKey k, SharedAnswer a) -> a.answer().getSerializedSize()
                            + a.ranking().getSerializedSize() + 64)
                    .executor(Runnable::run).build();

    private LeaderboardList answer(LeaderboardList all, String hardwareClass, int limit) {
        LeaderboardList.Builder chosen = LeaderboardList.newBuilder();
        // One answer, bounded in bytes as a page is: the boards' best entries up to 4 MiB in all
        // (a direction may hold any number of experiments, each with a 16,384-character description).
        long left = Pages.MAX_PAGE_BYTES;
        for (Leaderboard board : all.getLeaderboardsList()) {
            if (!hardwareClass.isEmpty() && !hardwareClass.equals(board.getHardwareClass())) {
                continue;
            }
            List<LeaderboardEntry> entries = board.getEntriesList();
            if (limit > 0 && entries.size() > limit) {
                entries = entries.subList(0, limit);
            }
            List<LeaderboardEntry> shown = descriptions.within(entries, left);
            left -= shown.stream().mapToLong(LeaderboardEntry::getSerializedSize).sum();
            chosen.addLeaderboards(board.toBuilder().clearEntries().addAllEntries(shown)
                    .setEntriesLeftOut(entries.size() - shown.size()));
        }
        return chosen.build();
    }

    public UnitList units(Optional<UnitStatus.State> state, PageRequest page) {
        return store.inReadTransaction(tx -> {
            // in claim order: units queued ahead (Units.insertUnitAhead) have negative numbers
            long after = page.after().map(c -> c.number(0)).orElse(Long.MIN_VALUE);
            Pages.Page<UnitRecord> p = Pages.of(tx.units(state, after, Pages.rowsFor(page.limit())),
                    page.limit(), seqCursor(UNITS));
            // the page's starved give-backs in one read, not one a unit
            Map<String, List<StarvedGiveBacks.GivenBack>> starved = tx.starvedGiveBacks(p.items().stream()
                    .filter(u -> u.kind() == WorkUnit.Kind.EVALUATE).map(UnitRecord::id).toList());
            long now = nowMs();
            return UnitList.newBuilder().addAllUnits(p.items().stream().map(u -> UnitFactory.status(tx, u,
                    StarvedGiveBacks.of(starved.getOrDefault(u.id(), List.of())), now)).toList())
                    .setNext(p.next()).build();
        });
    }

    /**
     * The unit {@code id} (when in {@code state}, if given): a list of one, or none when it is in
     * another state; 404 when there is no unit of that id, as a list filtered by an unknown direction
     * is: an empty answer read as "not leased" for a mistyped id.
     */
    public UnitList unit(String id, Optional<UnitStatus.State> state) {
        return store.inReadTransaction(tx -> {
            UnitRecord u = tx.unit(id).orElseThrow(() -> Rejection.notFound("unknown unit " + id));
            UnitList.Builder list = UnitList.newBuilder();
            if (state.isEmpty() || u.state() == state.get()) {
                list.addUnits(UnitFactory.status(tx, u, StarvedGiveBacks.of(tx.starvedGiveBacks(List.of(u.id()))
                        .getOrDefault(u.id(), List.of())), nowMs()));
            }
            return list.build();
        });
    }

    /** At most this many explorations under way in one answer: newer claims first, the rest left out. */
    public static final int UNDER_WAY = 50;

    /**
     * What agents are exploring on {@code direction} now, before they submit: the hypotheses of the
     * explorations they claimed and hold. Each was sent to be compared with later claims, and
     * {@code similar} already showed it to a claimant whose hypothesis resembled it; this shows it
     * before an agent picks what to try. Nothing else of the work (its workspace, its commits) is
     * the coordinator's to show until it is submitted.
     */
    public UnderWayList underWay(String direction) {
        if (direction.isEmpty()) {
            throw Rejection.badRequest("query parameter direction is required: the direction whose explorations to list");
        }
        return store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            return UnderWayList.newBuilder().addAllUnderWay(tx.underWay(direction, UNDER_WAY)).build();
        });
    }

    public CoordinatorStats stats() {
        return storedStats().toBuilder().setRejectedSignatures(rejectedSignatures.getAsLong())
                .setNetworkId(networkId.get()).build();
    }

    /** The network this coordinator serves: what every signed request must name. */
    public String networkId() {
        return networkId.get();
    }

    /**
     * The store's totals (for {@code /v1/stats} and {@code /metrics}) at a bounded cost per reading:
     * the counts the store keeps as it writes (a row each, and a row per direction for experiments
     * and results), and units in progress along the state index (as many rows as there is work now).
     */
    public CoordinatorStats storedStats() {
        return store.inReadTransaction(tx -> {
            HistoryCounts.Totals t = tx.historyTotals();
            HistoryCounts.InProgress now = tx.unitsInProgress();
            HistoryCounts.Standing standing = tx.standing();
            return CoordinatorStats.newBuilder()
                    .setSeeds(t.seeds()).setDirections(t.directions()).setExperiments(t.experiments())
                    .setResults(t.results()).setPapers(t.papers())
                    .setUnitsOpen(now.open()).setUnitsLeased(now.leased())
                    .setUnitsDone(Math.max(0, t.units() - now.open() - now.leased()))
                    .setLeasesExpired(standing.leasesExpired()).setNodes(standing.nodes())
                    .build();
        });
    }

    // --- trust: validation states, volunteers, adoptions --------------------------------------

    /**
     * The trials of a direction's commits (its base and experiments), or of one commit, each with
     * every replica's validation state. Paged by commit (the base first, then experiments in the
     * order registered) when listing a direction: {@code limit} counts commits, each with all of
     * its trials; one commit is one page.
     */
    public TrialList trials(String direction, String commit, PageRequest page) {
        if (direction.isEmpty() && commit.isEmpty()) {
            throw Rejection.badRequest("query parameter direction or commit is required");
        }
        if (!commit.isEmpty()) {
            RequestRules.queryCommit("commit", commit);  // "?commit=abc" was "404 unknown commit", as if looked up
        }
        return pages.get(TRIALS, query(page, direction, commit), () -> store.inReadTransaction(tx -> {
            List<String> commits = new ArrayList<>();
            Manifest manifest;
            String directionName = direction;
            String next = "";
            if (!commit.isEmpty()) {
                commits.add(commit);
                Optional<Experiment> e = tx.experiment(commit).map(Stored::record);
                // a base that is no experiment is known by its units (one index probe), or, before
                // any unit ran it, by the directions based on it (the base index): a known commit
                // with no trial yet is an empty list, as a direction with none is; only a commit
                // the coordinator never heard of is 404
                String seed = e.map(Experiment::getSeed).or(() -> tx.seedOfCommit(commit))
                        .or(() -> tx.directionsOn(commit).stream().findFirst().map(d -> d.direction().getSeed()))
                        .orElseThrow(() -> Rejection.notFound("unknown commit " + LogSafe.of(commit, 60)));
                manifest = tx.seed(seed).orElseThrow().record().getManifest();
                directionName = e.map(Experiment::getDirection).orElse(direction);
            } else {
                DirectionRecord d = tx.direction(direction)
                        .orElseThrow(() -> Rejection.notFound("unknown direction " + LogSafe.of(direction, 60)));
                manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
                List<Keyed<Long, String>> keyed = new ArrayList<>();
                if (page.after().isEmpty()) {
                    keyed.add(new Keyed<>(0L, d.direction().getBaseCommit()));  // before every experiment's key
                }
                int rows = (int) Math.min(Integer.MAX_VALUE, (long) Pages.rowsFor(page.limit()) - keyed.size());
                tx.experiments(direction, afterSeq(page), rows)
                        .forEach(x -> keyed.add(new Keyed<>(x.key(), x.value().record().getCommit())));
                Pages.Page<String> p = Pages.of(keyed, page.limit(), seqCursor(TRIALS));
                commits.addAll(p.items());
                next = p.next();
            }
            TrialList.Builder list = TrialList.newBuilder();
            // the page's results and reputations in a few statements, not two or more per commit
            Map<String, List<Trials.Entry>> entries = tx.resultEntries(commits);
            Map<String, Map<Long, Set<String>>> reputations = tx.reputationClasses(commits);
            Sealing sealing = sealing(tx, commits);
            for (String c : commits) {
                Map<Long, List<Trials.Entry>> bySeed = new LinkedHashMap<>();
                entries.get(c).forEach(en -> bySeed.computeIfAbsent(en.result().getRandomSeed(),
                        k -> new ArrayList<>()).add(en));
                for (var seedEntries : bySeed.entrySet()) {
                    Set<String> onReputation = reputations.getOrDefault(c, Map.of())
                            .getOrDefault(seedEntries.getKey(), Set.of());
                    for (Trials.Outcome o : Trials.judge(seedEntries.getValue(), Manifests.quorum(manifest),
                            manifest.getMetric().getTolerance(), onReputation)) {
                        Trial.Builder t = Trial.newBuilder().setCommit(c).setRandomSeed(seedEntries.getKey())
                                .setDirection(directionName)
                                .setHardwareClass(o.hardwareClass()).setState(o.state())
                                .setAcceptedOnReputation(onReputation.contains(o.hardwareClass()));
                        o.metric().ifPresent(t::setMetric);
                        for (Trials.Verdict v : o.verdicts()) {
                            Result r = v.entry().result();
                            t.addResults(ResultVerdict.newBuilder().setEnvelopeId(v.entry().envelopeId())
                                    .setRunner(r.getRunner()).setState(v.state()).setStatus(r.getStatus())
                                    .setMetric(r.getMetric()).setHardwareClass(r.getHardwareClass()));
                        }
                        list.addTrials(sealing.trial(t.build()));
                    }
                }
            }
            return list.setNext(next).build();
        }));
    }

    /**
     * Every runner key with a record: credit, reputation, quota and today's leases; most credit
     * first. A volunteer whose credit changes between two pages may move past the cursor: shown
     * twice, or not at all.
     */
    public VolunteerList volunteers(long nowMs, PageRequest page) {
        // the parts' kinds were checked as the cursor was read (cursorFields): a key of hex digits, a count that fits an int
        Optional<Store.CreditKey> after = page.after().map(c -> new Store.CreditKey(c.number(0), (int) c.number(1),
                ByteString.copyFrom(HexFormat.of().parseHex(c.text(2)))));
        return store.inReadTransaction(tx -> {
            Pages.Page<Map.Entry<ByteString, Reputation>> p = Pages.of(tx.reputations(after,
                    Pages.rowsFor(page.limit())).stream()
                    .map(k -> new Keyed<>(k.key(), Map.entry(k.key().runner(), k.value()))).toList(),
                    page.limit(), k -> Cursor.of(VOLUNTEERS, k.creditMs(), k.valid(),
                            HexFormat.of().formatHex(k.runner().toByteArray())));
            return volunteerList(tx, p.items(), nowMs).toBuilder().setNext(p.next()).build();
        });
    }

    /**
     * One key's credit and standing ({@code /v1/volunteers?key=HEX}): a list of that volunteer alone,
     * or empty when the key has no record yet, so that a node's status need not page through every
     * volunteer to find its own.
     */
    public VolunteerList volunteer(String keyHex, long nowMs) {
        ByteString key;
        try {
            key = PublicId.parse(keyHex).toByteString();
        } catch (IllegalArgumentException e) {
            throw Rejection.badRequest("query parameter key must be a public id, 64 hex digits (what `rhizome id` "
                    + "prints): " + e.getMessage());
        }
        return store.inReadTransaction(tx -> volunteerList(tx,
                tx.reputation(key).map(r -> List.of(Map.entry(key, r))).orElse(List.of()), nowMs));
    }

    private static VolunteerList volunteerList(Units tx, List<Map.Entry<ByteString, Reputation>> entries,
            long nowMs) {
        VolunteerList.Builder list = VolunteerList.newBuilder();
        for (Map.Entry<ByteString, Reputation> e : entries) {
            Reputation r = e.getValue();
            list.addVolunteers(Volunteer.newBuilder().setKey(e.getKey()).setCreditSeconds(r.creditMs() / 1000.0)
                    .setValid(r.valid()).setInvalid(r.invalid()).setErrors(r.errors())
                    .setConsecutiveValid(r.consecutiveValid()).setDailyQuota(r.dailyQuota())
                    .setLeasedToday(tx.leasesSince(e.getKey(), Reputation.dayStart(nowMs)))
                    .setTrusted(r.trusted()));
        }
        return list.build();
    }

    /**
     * A page of the confirmations drawn for a direction's candidates (every direction's without
     * one), one per candidate that passed at its trial seeds, with the direction's seed commitments
     * (one per candidate registered since its coordinator committed: about 100 bytes each),
     * published before the candidate's results. Both grow with the history, so they are paged
     * together on one key ({@link ConfirmationPages}) and shared as the other lists are.
     */
    public ConfirmationList confirmations(String direction, PageRequest page) {
        Confirmations.ListKey after = ConfirmationPages.after(page.after());
        return pages.get(CONFIRMATIONS, query(page, direction), () -> store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            return ConfirmationPages.page(tx.confirmations(direction, after, Pages.rowsFor(page.limit())),
                    tx.seedCommitments(direction, after, Pages.rowsFor(page.limit())), page.limit());
        }));
    }

    public AdoptionList adoptions(String direction, PageRequest page) {
        Optional<Store.AdoptionKey> after = page.after().map(c -> new Store.AdoptionKey(c.number(0), c.number(1),
                c.text(2), c.text(3)));
        return pages.get(ADOPTIONS, query(page, direction), () -> store.inReadTransaction(tx -> {
            requireKnown(tx, direction);
            Pages.Page<Adoption> p = Pages.of(tx.adoptions(direction, after,
                    Pages.rowsFor(page.limit())), page.limit(),
                    k -> Cursor.of(ADOPTIONS, k.auditCount(), k.adoptedMs(), k.direction(), k.commit()));
            return AdoptionList.newBuilder().addAllAdoptions(p.items()).setNext(p.next()).build();
        }));
    }

    /**
     * A list filtered by {@code direction} (none when empty) answers 404 for a direction never
     * opened, as the leaderboard and trials do (docs/api.md): an empty page for a misspelt name
     * ("lr-swep", "lr-sweep " with a stray "+") read as "nothing here yet" to a client or agent.
     */
    private static void requireKnown(Store.Transaction tx, String direction) {
        if (!direction.isEmpty() && tx.direction(direction).isEmpty()) {
            throw Rejection.notFound("unknown direction " + LogSafe.of(direction, 60));
        }
    }

    /** The pages shared by identical asks (their counts are metrics). */
    public SharedPages sharedPages() {
        return pages;
    }

    /** A page's key among the shared pages: its filters as given, then its size and cursor (parsed, so one spelling). */
    private static List<String> query(PageRequest page, String... filters) {
        List<String> query = new ArrayList<>(List.of(filters));
        query.add(Integer.toString(page.limit()));
        query.add(page.after().map(Cursor::encode).orElse(""));
        return query;
    }
}
