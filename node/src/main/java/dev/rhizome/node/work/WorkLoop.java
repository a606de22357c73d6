package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.explore.Explorer;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volunteer's loop: deliver pending results, claim a unit, do it, report, announce. When the
 * coordinator is away or has no work the loop backs off (1 s doubling to a cap) and tries again;
 * a unit that fails locally is left to its lease, which expires and sends it to another node.
 */
public final class WorkLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(WorkLoop.class);
    private static final long HEARTBEAT_MS = 10_000;

    private final Identity identity;
    private final CoordinatorClient coordinator;
    private final CommitFetcher fetcher;
    private final Evaluator evaluator;
    private final Explorer explorer;   // null when this node doesn't explore
    private final dev.rhizome.node.explore.ExplorerPapers explorerPapers;
    private final ResultOutbox outbox;
    private final InventoryAnnouncer announcer;
    private final String hardwareClass;
    private final String direction;
    private final int maxUnits;
    private final long maxBackoffMs;
    private final Clock clock;
    private final Consumer<SignedEnvelope> signedResults;
    private final AtomicLong resultsReported = new AtomicLong();
    private final AtomicLong experimentsProposed = new AtomicLong();
    private volatile boolean stopping;

    public WorkLoop(Identity identity, CoordinatorClient coordinator, CommitFetcher fetcher, Evaluator evaluator,
            Explorer explorer, ResultOutbox outbox, InventoryAnnouncer announcer, String hardwareClass,
            String direction, int maxUnits, long maxBackoffMs, Clock clock, Consumer<SignedEnvelope> signedResults) {
        this.identity = identity;
        this.coordinator = coordinator;
        this.fetcher = fetcher;
        this.evaluator = evaluator;
        this.explorer = explorer;
        this.outbox = outbox;
        this.announcer = announcer;
        this.hardwareClass = hardwareClass;
        this.direction = direction;
        this.maxUnits = maxUnits;
        this.maxBackoffMs = maxBackoffMs;
        this.clock = clock;
        this.explorerPapers = new dev.rhizome.node.explore.ExplorerPapers(clock);
        this.signedResults = signedResults;
    }

    public void stop() {
        stopping = true;
    }

    public long resultsReported() {
        return resultsReported.get();
    }

    public long experimentsProposed() {
        return experimentsProposed.get();
    }

    @Override
    public void run() {
        long backoff = 0;
        int done = 0;
        while (!stopping && (maxUnits <= 0 || done < maxUnits)) {
            try {
                if (backoff > 0) {
                    Thread.sleep(backoff);
                }
                deliverPending();
                announcer.announceIfDue(HEARTBEAT_MS);
                WorkUnit unit = claim();
                if (unit == null) {
                    backoff = nextBackoff(backoff);
                    continue;
                }
                backoff = 0;
                handle(unit);
                done++;
            } catch (CoordinatorException e) {
                backoff = nextBackoff(backoff);
                log.warn("{}; retrying in {} ms", e.getMessage(), backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | FetchException | RuntimeException e) {
                backoff = nextBackoff(backoff);
                log.error("work unit failed; its lease will expire and it will be issued again", e);
            }
        }
        try {
            deliverPending();
        } catch (IOException e) {
            log.warn("results left in the outbox for next start: {}", e.getMessage());
        }
    }

    private long nextBackoff(long current) {
        return Math.min(maxBackoffMs, current == 0 ? 1000 : current * 2);
    }

    private WorkUnit claim() throws CoordinatorException {
        ClaimRequest.Builder request = ClaimRequest.newBuilder()
                .setNode(identity.publicId().toByteString())
                .setHardwareClass(hardwareClass)
                .addKinds(WorkUnit.Kind.EVALUATE)
                .setTimeMs(clock.millis());
        if (explorer != null) {
            request.addKinds(WorkUnit.Kind.EXPLORE).setBuiltinExplorer(true);
        }
        if (direction != null) {
            request.setDirection(direction);
        }
        ClaimResponse response = coordinator.claim(request.build());
        return response.hasUnit() ? response.getUnit() : null;
    }

    private void handle(WorkUnit unit) throws IOException, FetchException, InterruptedException, CoordinatorException {
        switch (unit.getKind()) {
            case EVALUATE -> evaluate(unit);
            case EXPLORE -> explore(unit);
            default -> log.warn("ignoring unit {} of unknown kind {}", unit.getId(), unit.getKind());
        }
    }

    private void evaluate(WorkUnit unit) throws IOException, FetchException, InterruptedException {
        Result result = evaluator.evaluate(unit);
        SignedEnvelope signed = Envelopes.sign(identity, result);
        outbox.put(unit.getId(), signed);
        signedResults.accept(signed);
        log.info("result {} {}: {} {} in {} ms", CommitId.abbreviate(result.getCommit()), result.getStatus(),
                result.getMetricName(), result.getStatus() == Result.Status.OK ? result.getMetric() : "-",
                result.getRuntimeMs());
        announcer.announceNow();
        deliverPending();
    }

    private void explore(WorkUnit unit) throws IOException, FetchException, InterruptedException, CoordinatorException {
        if (explorer == null) {
            return;
        }
        explorerPapers.followUp(coordinator);
        fetcher.fetch(unit.getCommit(), unit.getPeersList());
        List<Explorer.Proposal> proposals = explorer.propose(unit);
        announcer.announceNow();
        ExploreDone.Builder done = ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                .setNode(identity.publicId().toByteString());
        for (Explorer.Proposal p : proposals) {
            coordinator.registerExperiment(Experiment.newBuilder()
                    .setSeed(unit.getSeed())
                    .setDirection(unit.getDirection())
                    .setCommit(p.commit())
                    .setParent(p.parent())
                    .setProposer(identity.publicId().toByteString())
                    .setDescription(p.description())
                    .setCreatedMs(clock.millis())
                    .setWorkUnitId(unit.getId())
                    .build());
            experimentsProposed.incrementAndGet();
            explorerPapers.proposed(p.commit(), unit.getDirection(), p.description());
            done.addCommits(p.commit());
            log.info("proposed {} on {}: {}", CommitId.abbreviate(p.commit()), unit.getDirection(), p.description());
        }
        coordinator.exploreDone(done.setTimeMs(clock.millis()).build());
    }

    /** Sends every result in the outbox; keeps those the coordinator could not take yet. */
    private void deliverPending() throws IOException {
        for (ResultOutbox.Pending pending : outbox.pending()) {
            try {
                coordinator.reportResult(pending.envelope());
                outbox.remove(pending);
                log.info("credit: {} results reported, {} experiments proposed", resultsReported.incrementAndGet(),
                        experimentsProposed.get());
            } catch (CoordinatorException e) {
                if (e.isRefusal()) {
                    log.warn("coordinator refused result {}: {}; kept under outbox/refused",
                            pending.file().getFileName(), e.getMessage());
                    outbox.refuse(pending);
                } else {
                    log.warn("result {} stays in the outbox: {}", pending.file().getFileName(), e.getMessage());
                    return;
                }
            }
        }
    }
}
