package dev.rhizome.coordinator.http;

import dev.rhizome.protocol.LogSafe;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.PaperFilter;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.service.ClaimWaits;
import dev.rhizome.coordinator.service.DashboardView;
import dev.rhizome.coordinator.service.Dispatcher;
import dev.rhizome.coordinator.service.ExperimentRegistry;
import dev.rhizome.coordinator.service.KeyBans;
import dev.rhizome.coordinator.service.OperatorActions;
import dev.rhizome.coordinator.service.PaperRegistry;
import dev.rhizome.coordinator.service.PeerDirectory;
import dev.rhizome.coordinator.service.ResultIntake;
import dev.rhizome.coordinator.service.SeedsAndDirections;
import dev.rhizome.coordinator.service.Views;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.protocol.envelope.Verified;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** The coordinator's HTTP API (docs/api.md): which path and method reach which service. */
public final class Routes {
    /** The services behind the routes. */
    public record Services(SeedsAndDirections seedsAndDirections, ExperimentRegistry experiments,
            PaperRegistry papers, Dispatcher dispatcher, ClaimWaits claims, ResultIntake results, PeerDirectory peers, Views views,
            DashboardView dashboard, OperatorActions operators, KeyBans bans,
            Supplier<Optional<String>> storeTrouble) {
    }

    // The query parameters of the list routes (docs/api.md "Paging").
    private static final String LIMIT = "limit";
    private static final String AFTER = "after";
    private static final String NEWEST = "newest";
    private static final String[] PAGE = {LIMIT, AFTER};
    /** Longer than any unit id made here (a UUID, 36 characters), with room; a longer one is no id. */
    private static final int MAX_UNIT_ID = 128;

    private Routes() {
    }

    /** {@code ok}, or 503 naming what keeps the store from taking work (every write meanwhile gets the same 503). */
    private static Reply health(Optional<String> trouble) {
        if (trouble.isPresent()) {
            throw new HttpError(io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE,
                    Error.Code.UNAVAILABLE, "the store takes no work now: " + trouble.get());
        }
        return Reply.text("ok");
    }

    static Router build(Services s, SignedRequests signed, CoordinatorMetrics metrics) {
        return new Router()
                .probe("/healthz", r -> health(s.storeTrouble().get()))
                .page("/metrics", r -> Reply.text(metrics.scrape()))
                .page("/", r -> DashboardAssets.page())
                .page("/dashboard/app.js", r -> DashboardAssets.script())
                .page("/dashboard/uPlot.iife.min.js", r -> DashboardAssets.chartScript())
                .page("/dashboard/uPlot.min.css", r -> DashboardAssets.chartStyles())
                .get("/v1/dashboard", r -> Reply.bytes(s.dashboard().json().getBytes(StandardCharsets.UTF_8),
                        "application/json; charset=utf-8"))
                .post("/v1/seeds", r -> Reply.of(s.seedsAndDirections().publishSeed(
                        signed.open(r, Seed.getDefaultInstance(), Seed::getPublisher), r.origin())))
                .get("/v1/seeds", r -> Reply.of(s.views().seeds(page(r, Views.SEEDS))), PAGE)
                .post("/v1/directions", r -> Reply.of(s.seedsAndDirections().openDirection(
                        signed.open(r, Direction.getDefaultInstance(), Direction::getOpenedBy), r.origin())))
                .get("/v1/directions", r -> Reply.of(s.views().directions(page(r, Views.DIRECTIONS))), PAGE)
                .post("/v1/directions/close", r -> Reply.of(s.operators().closeDirection(
                        signed.open(r, DirectionClosure.getDefaultInstance(), DirectionClosure::getClosedBy))))
                .post("/v1/directions/requeue", r -> Reply.of(s.operators().requeueTrials(
                        signed.open(r, TrialRequeueOrder.getDefaultInstance(), TrialRequeueOrder::getRequeuedBy))))
                .post("/v1/bans", r -> Reply.of(s.operators().ban(
                        signed.open(r, KeyBan.getDefaultInstance(), KeyBan::getBannedBy))))
                .post("/v1/claim", r -> {
                    Verified<ClaimRequest> claim = signed.open(r, ClaimRequest.getDefaultInstance(), ClaimRequest::getNode);
                    CompletableFuture<ClaimResponse> claimed = s.claims().claim(claim, r.origin());
                    CompletableFuture<Reply> reply = claimed.thenApply(answer -> {
                        if (!answer.hasUnit()) {
                            return Reply.of(answer);
                        }
                        metrics.leaseGranted(answer.getUnit().getKind().name());
                        // an answer its client never gets gives its lease back (the nonce stays spent)
                        return Reply.of(answer).ifUndelivered(() -> s.dispatcher().giveBackUnanswered(
                                answer.getUnit().getId(), claim.record().getNode()));
                    });
                    if (reply.isDone() && !reply.isCompletedExceptionally()) {
                        return reply.join();
                    }
                    // held until work comes (a claim that waits): cancelling the reply lets the claim go,
                    // hurrying it ends its wait now (answered: nothing came)
                    reply.whenComplete((answer, failure) -> {
                        if (reply.isCancelled()) {
                            claimed.cancel(false);
                        }
                    });
                    return Reply.later(reply, () -> s.claims().endWait(claimed));
                })
                .post("/v1/leases/renew", r -> Reply.of(s.dispatcher().renew(
                        signed.open(r, LeaseRenewal.getDefaultInstance(), LeaseRenewal::getNode))))
                .post("/v1/leases/give-back", r -> Reply.of(s.dispatcher().giveBack(
                        signed.open(r, LeaseGiveBack.getDefaultInstance(), LeaseGiveBack::getNode))))
                .post("/v1/explore-done", r -> Reply.of(s.dispatcher().exploreDone(
                        signed.open(r, ExploreDone.getDefaultInstance(), ExploreDone::getNode))))
                .post("/v1/experiments", r -> Reply.of(s.experiments().register(
                        signed.open(r, Experiment.getDefaultInstance(), Experiment::getProposer), r.origin())))
                .get("/v1/experiments", r -> Reply.shared(r.param("newest").isEmpty()
                        ? s.views().experiments(r.param("direction"), page(r, Views.EXPERIMENTS))
                        : s.views().newestExperiments(r.param("direction"), newestPage(r, Views.EXPERIMENTS))),
                        "direction", LIMIT, AFTER, NEWEST)
                .get("/v1/experiment", r -> Reply.of(s.views().experimentReport(r.param("commit"))), "commit")
                .get("/v1/experiment-reports", r -> Reply.of(s.views().experimentReports(r.param("commits"))),
                        "commits")
                .post("/v1/results", r -> {
                    Verified<Result> result = signed.open(r, Result.getDefaultInstance(), Result::getRunner);
                    Reply reply = Reply.of(s.results().accept(result, r.origin()));
                    metrics.result(result.record().getStatus().name());
                    return reply;
                })
                .get("/v1/results", r -> Reply.shared(r.param("newest").isEmpty()
                        ? s.views().results(r.param("direction"), r.param("commit"), page(r, Views.RESULTS))
                        : s.views().newestResults(r.param("direction"), r.param("commit"), newest(r))),
                        "direction", "commit", LIMIT, AFTER, NEWEST)
                .post("/v1/papers", r -> Reply.of(s.papers().publish(
                        signed.open(r, Paper.getDefaultInstance(), Paper::getAuthor), r.origin())))
                .get("/v1/papers", r -> Reply.shared(s.views().papers(r.param("direction"),
                        PaperFilter.of(r.param("search"), r.param("commit")), oldestFirst(r), page(r, Views.PAPERS))),
                        "direction", LIMIT, AFTER, "search", "commit", "order")
                .post("/v1/announce", r -> Reply.of(s.peers().announce(
                        signed.open(r, NodeAnnouncement.getDefaultInstance(), NodeAnnouncement::getNode), r.origin())))
                .get("/v1/peers", r -> Reply.of(s.peers().peers(r.param("commit"))), "commit")
                .get("/v1/nodes", r -> Reply.of(s.peers().nodes()))
                .get("/v1/leaderboard", r -> Reply.shared(s.views().leaderboard(r.param("direction"),
                        r.param("hardware_class"), entries(r.param("limit")))), "direction", "hardware_class", LIMIT)
                .get("/v1/units", r -> Reply.of(r.param("unit").isEmpty()
                        ? s.views().units(state(r.param("state")), page(r, Views.UNITS))
                        : oneUnit(s, r)), "state", LIMIT, AFTER, "unit")
                .get("/v1/under-way", r -> Reply.of(s.views().underWay(r.param("direction"))), "direction")
                .get("/v1/stats", r -> Reply.of(s.results().receipts().withOperatorHistory(
                        s.operators().named(s.results().receipts().named(s.views().stats())))))
                .get("/v1/audit", r -> Reply.shared(s.views().auditTrail(page(r, Views.AUDIT))), PAGE)
                // trust: validation states, volunteers' credit and standing, adoptions
                .get("/v1/trials", r -> Reply.shared(s.views().trials(r.param("direction"), r.param("commit"),
                        page(r, Views.TRIALS))), "direction", "commit", LIMIT, AFTER)
                .get("/v1/volunteers", r -> Reply.of(volunteers(s, r)), LIMIT, AFTER, "key")
                .get("/v1/adoptions", r -> Reply.shared(s.views().adoptions(r.param("direction"), page(r, Views.ADOPTIONS))),
                        "direction", LIMIT, AFTER)
                .get("/v1/confirmations", r -> Reply.shared(s.views().confirmations(r.param("direction"),
                        page(r, Views.CONFIRMATIONS))), "direction", LIMIT, AFTER);
    }

    /** {@code /v1/volunteers}: a page of them, or with {@code key} that one volunteer alone (one page). */
    private static VolunteerList volunteers(Services s, ApiRequest r) {
        if (r.param("key").isEmpty()) {
            return s.views().volunteers(System.currentTimeMillis(), page(r, Views.VOLUNTEERS));
        }
        if (!r.param("after").isEmpty() || !r.param("limit").isEmpty()) {
            throw Rejection.badRequest("query parameter key names one volunteer and does not page: give it without "
                    + "limit and after");
        }
        return s.views().volunteer(r.param("key"), System.currentTimeMillis());
    }

    /**
     * {@code /v1/units?unit=ID}: that unit alone (in {@code state}, when given), one row read by its
     * key: a client asking whom a unit is leased to paged through every LEASED unit to find it.
     */
    private static UnitList oneUnit(Services s, ApiRequest r) {
        if (!r.param("after").isEmpty() || !r.param("limit").isEmpty()) {
            throw Rejection.badRequest("query parameter unit names one unit and does not page: give it without "
                    + "limit and after");
        }
        String id = r.param("unit");
        if (id.length() > MAX_UNIT_ID) {
            throw Rejection.badRequest("query parameter unit must be a unit id (at most " + MAX_UNIT_ID
                    + " characters), got " + id.length() + " characters");
        }
        return s.views().unit(id, state(r.param("state")));
    }

    /** The page a list route's query asks for: {@code limit} and {@code after} (docs/api.md "Paging"). */
    private static PageRequest page(ApiRequest r, String list) {
        return PageRequest.parse(list, Views.cursorFields(list), r.param("limit"), r.param("after"));
    }

    /** {@code order}: papers newest first (absent, or {@code newest}), or {@code oldest} first after {@code after}. */
    private static boolean oldestFirst(ApiRequest r) {
        return switch (r.param("order")) {
            case "", "newest" -> false;
            case "oldest" -> true;
            default -> throw Rejection.badRequest("query parameter order must be newest or oldest, got '"
                    + (r.param("order").length() > 40 ? r.param("order").substring(0, 40) + "..." : r.param("order"))
                    + "'");
        };
    }

    /** {@code newest=N}: the newest N items of a list (at most a page's limit), newest first, in one answer. */
    private static int newest(ApiRequest r) {
        if (!r.param("after").isEmpty() || !r.param("limit").isEmpty()) {
            throw Rejection.badRequest("query parameter newest does not page: give it without limit and after");
        }
        return PageRequest.count("newest", r.param("newest"), PageRequest.MAX_LIMIT);
    }

    /**
     * {@code newest=N} on a list that pages newest first too: N the page's size, {@code after} the
     * previous answer's {@code next} (older still), or absent for the newest N.
     */
    private static PageRequest newestPage(ApiRequest r, String list) {
        if (!r.param("limit").isEmpty()) {
            throw Rejection.badRequest("query parameter newest is the page's size: give it without limit");
        }
        int n = PageRequest.count("newest", r.param("newest"), PageRequest.MAX_LIMIT);
        return PageRequest.parse(list, Views.cursorFields(list), Integer.toString(n), r.param("after"));
    }

    /** A board's entries to return: 0 (all) when not given. */
    private static int entries(String limit) {
        return limit.isEmpty() ? 0 : PageRequest.count("limit", limit, PageRequest.MAX_LIMIT);
    }

    private static Optional<UnitStatus.State> state(String name) {
        if (name.isEmpty()) {
            return Optional.empty();
        }
        return switch (name) {
            case "OPEN" -> Optional.of(UnitStatus.State.OPEN);
            case "LEASED" -> Optional.of(UnitStatus.State.LEASED);
            case "DONE" -> Optional.of(UnitStatus.State.DONE);
            default -> throw Rejection.badRequest("query parameter state must be OPEN, LEASED or DONE, got '"
                    + LogSafe.of(name, 60) + "'");
        };
    }
}
