package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.explore.Explorer;
import dev.rhizome.node.explore.ExplorerPapers;
import dev.rhizome.node.job.JobText;
import dev.rhizome.node.prefs.RunGate;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.WorkerFailures;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volunteer's work: one {@link SlotWorker} per slot (each GPU, and the CPU jobs allowed),
 * each claiming for its own hardware class and running one job at a time, with its next unit
 * claimed and fetched while the current job runs. Results are kept in the outbox by the slot that
 * made them and delivered by one reporter thread, so a slow coordinator never holds a GPU. When
 * the coordinator is away or has no work a slot backs off (1 s doubling to a cap); a unit that
 * fails locally is left to its lease, which expires and sends it to another node.
 */
public final class WorkLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(WorkLoop.class);
    /** How often a node announces itself unasked (tests bound "at once" below it). */
    public static final long HEARTBEAT_MS = 10_000;
    private static final long REPORT_PERIOD_MS = 2_000;

    /** How the loop runs: which direction only (or null), how many units at most (0: no limit). */
    public record Settings(String direction, int maxUnits, long maxBackoffMs, boolean prefetch) {
    }

    private final Identity identity;
    private final CoordinatorClient coordinator;
    private final CommitSource commits;
    private final Explorer explorer;   // null when this node doesn't explore
    private final ExplorerPapers explorerPapers;
    private final ResultOutbox outbox;
    private final UnitBuffer buffer;
    /** Units given back unrun, kept until the coordinator hears of each (or its lease runs out). */
    private final GiveBacks giveBacks;
    private final AckedResults acked;
    private final OutboxDelivery delivery;
    private final InventoryAnnouncer announcer;
    private final RunGate gate;
    private final Settings settings;
    private final Clock clock;
    /** This machine's load as the busy back-offs read it: {@link MachineLoad#read}, or a test's readings. */
    private final Supplier<Optional<MachineLoad>> load;
    private final Consumer<SignedEnvelope> signedResults;
    private final List<SlotWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final ExecutorService prefetcher;
    private final ScheduledExecutorService reporter;
    /** Announcements a command asked for ({@link #announceOnRequest}): one at a time, off the reporter's thread. */
    private final ExecutorService onRequest;
    private final AtomicInteger claimed = new AtomicInteger();
    private final AtomicLong resultsReported = new AtomicLong();
    private final FailureTally failures = new FailureTally();
    /** Fewer CPU jobs, or none claimed, after a job was kept off a CPU: until the load leaves room. */
    private final BusyBackoff busy;
    /** Each CPU slot's place among them (GPU slots have none): the first {@code allowed} claim while backing off. */
    private final Map<Slot, Integer> cpuIndex = new HashMap<>();
    /** Each GPU slot's own back-off: its job starves of a CPU as theirs do, but runs on no CPU slot's share. */
    private final Map<Slot, BusyBackoff> gpuBusy = new HashMap<>();
    private final AtomicLong experimentsProposed = new AtomicLong();
    /** Outbox files of units a slot still buffers: not delivered until it releases them (SlotWorker.Work#released). */
    private final Set<String> heldBack = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private final AtomicBoolean interruptedSlots = new AtomicBoolean();
    /** Whether a claim has reached the coordinator yet (the first one checks the direction). */
    private final AtomicBoolean firstClaimAnswered = new AtomicBoolean();
    private volatile String directionRefused;
    private volatile boolean directionUnchecked;
    /** Released by {@link #stop()}: what a loop without slots (a serve-only node) runs until. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    public WorkLoop(Identity identity, CoordinatorClient coordinator, CommitSource commits,
            Map<Slot, Evaluator> slots, Explorer explorer, ResultOutbox outbox, UnitBuffer buffer, Path giveBacksDir,
            InventoryAnnouncer announcer, RunGate gate, Settings settings, Path logRoot, Clock clock,
            Consumer<SignedEnvelope> signedResults) throws IOException {
        this(identity, coordinator, commits, slots, explorer, outbox, buffer, giveBacksDir, announcer, gate, settings,
                logRoot, clock, MachineLoad::read, signedResults);
    }

    /** The same, reading this machine's load from {@code load} (as the time from {@code clock}). */
    public WorkLoop(Identity identity, CoordinatorClient coordinator, CommitSource commits,
            Map<Slot, Evaluator> slots, Explorer explorer, ResultOutbox outbox, UnitBuffer buffer, Path giveBacksDir,
            InventoryAnnouncer announcer, RunGate gate, Settings settings, Path logRoot, Clock clock,
            Supplier<Optional<MachineLoad>> load, Consumer<SignedEnvelope> signedResults) throws IOException {
        this.load = load;
        this.identity = identity;
        this.coordinator = coordinator;
        this.commits = commits;
        this.explorer = explorer;
        this.outbox = outbox;
        this.buffer = buffer;
        this.giveBacks = new GiveBacks(giveBacksDir, p -> coordinator.giveBackLease(LeaseGiveBack.newBuilder()
                .setWorkUnitId(p.unitId()).setNode(identity.publicId().toByteString()).setReason(p.reason())
                .setStarved(p.starved()).setTimeMs(clock.millis()).build()), clock::millis, buffer::heldSince);
        this.acked = new AckedResults(outbox, ReceiptBook.besideOutbox(outbox.dir()), clock::millis);
        // the unit's name lets a crash check match what a node was told was stored (ops/storm)
        this.delivery = new OutboxDelivery(outbox, acked, coordinator, identity, heldBack,
                name -> log.info("credit: {} results reported, {} experiments proposed (acknowledged {})",
                        resultsReported.incrementAndGet(), experimentsProposed.get(), name));
        this.announcer = announcer;
        this.gate = gate;
        this.settings = settings;
        this.clock = clock;
        this.explorerPapers = new ExplorerPapers(clock);
        this.signedResults = signedResults;
        this.prefetcher = Executors.newCachedThreadPool(daemon("prefetch"));
        this.reporter = Executors.newSingleThreadScheduledExecutor(daemon("reporter"));
        this.onRequest = Executors.newSingleThreadExecutor(daemon("announce-on-request"));
        // in the data directory, beside the give-backs (NodeLayout#runtimes): a restart keeps what its jobs took
        RuntimeEstimates estimates = RuntimeEstimates.keptIn(giveBacksDir.resolveSibling(RuntimeEstimates.FILE_NAME));
        SlotWorker.Work work = new SharedWork();
        for (Slot s : new LinkedHashMap<>(slots).keySet()) {
            if (s.gpu().isEmpty()) {
                cpuIndex.put(s, cpuIndex.size());
            } else {
                gpuBusy.put(s, BusyBackoff.forGpuSlot(s.name()));
            }
        }
        this.busy = new BusyBackoff(cpuIndex.size());
        boolean first = true;
        for (Map.Entry<Slot, Evaluator> e : new LinkedHashMap<>(slots).entrySet()) {
            // Only the first slot explores: proposals write commits, which needs no GPU and one writer.
            workers.add(new SlotWorker(e.getKey(), e.getValue(), work, first && explorer != null, settings.prefetch(),
                    buffer, estimates, prefetcher, logRoot, clock));
            first = false;
        }
    }

    public void stop() {
        stopping = true;
        stopped.countDown();
        cutClaimsOnce();
    }

    /**
     * Interrupts every thread that may be in a claim, the slots' and the claims ahead of their jobs
     * (the prefetcher's), at once, so that each claim the stop cuts is settled within the stop's
     * time (CoordinatorClient.SETTLE_TIMEOUT, all in parallel). A claim ahead used to be cut only
     * once the slots had ended: still waiting at the coordinator for work (20 s) it outlasted the
     * daemon's 10 s wait, the process exited, and the claim stayed in the journal. Once: a second
     * interrupt (the daemon's, through this loop's thread) would cut the settling too.
     */
    private void cutClaimsOnce() {
        if (interruptedSlots.compareAndSet(false, true)) {
            threads.forEach(Thread::interrupt);
            prefetcher.shutdownNow();
        }
    }

    public long resultsReported() {
        return resultsReported.get();
    }

    public long experimentsProposed() {
        return experimentsProposed.get();
    }

    public List<Slot> slots() {
        return workers.stream().map(SlotWorker::slot).toList();
    }

    /** Jobs running now, for the idle check (each keeps about a core busy). */
    public int runningJobs() {
        return (int) workers.stream().filter(SlotWorker::busy).count();
    }

    public NodeStatus status() {
        List<SlotStatus> slots = workers.stream().map(SlotWorker::status).toList();
        int queued = (int) slots.stream().filter(s -> s.next() != null).count();
        long jobs = slots.stream().mapToLong(SlotStatus::jobsRun).sum();
        int pending;
        try {
            pending = outbox.pending().size();
        } catch (IOException e) {
            pending = -1;
        }
        return new NodeStatus(identity.publicId().toString(), gate.paused(), gate.closedBecause().orElse("open"), slots,
                queued, new NodeStatus.Credit(resultsReported.get(), experimentsProposed.get(), jobs, pending,
                        acked.unkept().orElse(null)),
                failures.snapshot(), busy.status().orElse(null)).withBusySlots(busySlots())
                .withPausedSince(gate.pausedSince().orElse(null));
    }

    /**
     * Every back-off in force, the CPU slots' shared one first ({@code resource} "cpu") and then each
     * GPU slot's (its slot's name): {@code busy} alone showed the CPU slots', and a GPU slot that
     * claimed nothing after its job starved looked idle for no reason.
     */
    private List<BusyBackoff.Status> busySlots() {
        List<BusyBackoff.Status> all = new ArrayList<>();
        busy.status().ifPresent(all::add);
        for (SlotWorker w : workers) {
            BusyBackoff gpu = gpuBusy.get(w.slot());
            if (gpu != null) {
                gpu.status().ifPresent(all::add);
            }
        }
        return all;
    }

    /**
     * Whether this node claims work, as the coordinator is told: paused by its volunteer, and why no
     * slot claims now (the run gate's reason in stable words, or the busy back-off where it holds
     * every slot; a node without slots serves bundles only). A node that claims says "".
     */
    InventoryAnnouncer.Availability availability() {
        boolean paused = gate.paused();
        if (workers.isEmpty()) {
            return new InventoryAnnouncer.Availability(paused, "serves bundles only: no slot runs jobs");
        }
        Optional<String> closed = gate.closedBecause();
        if (closed.isPresent()) {
            return new InventoryAnnouncer.Availability(paused, RunGate.announced(closed.get()));
        }
        boolean everySlotHeld = workers.stream().allMatch(w -> {
            BusyBackoff backoff = cpuIndex.containsKey(w.slot()) ? busy : gpuBusy.get(w.slot());
            return backoff != null && backoff.hold(cpuIndex.getOrDefault(w.slot(), 0)).isPresent();
        });
        return new InventoryAnnouncer.Availability(paused, everySlotHeld
                ? "backing off: a job was kept off a CPU by other work on this machine, and it claims again once "
                        + "the load leaves room" : "");
    }

    /**
     * The volunteer paused or resumed this node: the coordinator is told at once, on the reporter's
     * thread (a pause's command never waits on the coordinator), where it heard at the next heartbeat.
     */
    public void availabilityChanged() {
        try {
            reporter.execute(() -> announcer.announceNow(this::availability));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // the loop has ended: nothing claims, and the coordinator forgets the node in time
        }
    }

    /**
     * Announces this node now, as its heartbeat does (its class, whether it is paused and why it
     * claims nothing, its inventory), for a command that just added commits to its repository
     * (`rhizome submit`, `rhizome seed publish`) and registers them next: that command announced
     * them itself, under this node's key but classless and claiming, so a paused node read as
     * claiming until its next heartbeat. Made on a thread of its own and waited for at most
     * {@code within}, so a coordinator that does not answer holds neither the reporter nor the
     * control socket; past it the answer says so, and the announcement still goes on.
     */
    public InventoryAnnouncer.Told announceOnRequest(Duration within) {
        InventoryAnnouncer.Availability now = availability();
        java.util.concurrent.Future<InventoryAnnouncer.Told> told;
        try {
            told = onRequest.submit(() -> announcer.announceTelling(this::availability));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            return notTold(now, "the node is stopping");
        }
        try {
            return told.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return notTold(now, "the coordinator did not answer within " + within.toSeconds() + " s (the node "
                    + "announces again at its next heartbeat)");
        } catch (java.util.concurrent.ExecutionException e) {
            return notTold(now, String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return notTold(now, "interrupted");
        }
    }

    private InventoryAnnouncer.Told notTold(InventoryAnnouncer.Availability availability, String why) {
        return new InventoryAnnouncer.Told(announcer.hardwareClass(), availability.paused(), availability.notClaiming(),
                false, why);
    }

    @Override
    public void run() {
        // Guarded: a periodic task that throws is never run again, and the outbox would wait for good.
        reporter.scheduleWithFixedDelay(WorkerFailures.periodic(log, "the result reporter", this::deliverAndAnnounce),
                0, REPORT_PERIOD_MS, TimeUnit.MILLISECONDS);
        for (SlotWorker w : workers) {
            Thread t = new Thread(w, "slot-" + w.slot().name());
            threads.add(t);
            t.start();
        }
        // Told to stop (interrupted), the loop still waits for its slots: the daemon's bounded wait
        // for this thread is what says whether a slot is still finishing, and so whether the data
        // directory's lock may go yet. It used to return at once, and the lock went with a slot busy.
        boolean interrupted = false;
        if (workers.isEmpty()) {
            // a serve-only node: no slot claims or runs anything, but the outbox (an earlier run's
            // results) is still delivered and the inventory announced, so peers keep finding it
            try {
                stopped.await();
            } catch (InterruptedException e) {
                interrupted = true;
                stop();
            }
        }
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                    stop();
                }
            }
        }
        // The interrupt is kept for the end: set now, it cut the waits below short, the claims ahead
        // settling and the stop's give-backs with them.
        reporter.shutdownNow();
        onRequest.shutdownNow();
        cutClaimsOnce();  // the loop may end by itself (its unit budget spent): its claims ahead go too
        try {
            reporter.awaitTermination(10, TimeUnit.SECONDS);
            // a claim ahead cut by the stop asks what became of it (CoordinatorClient.SETTLE_TIMEOUT,
            // counted from the stop) and keeps a unit it got in the slot's ahead file: before the process exits
            prefetcher.awaitTermination(CoordinatorClient.SETTLE_TIMEOUT.ceiling().toMillis() + 1000, TimeUnit.MILLISECONDS);
            delivery.round(true);  // writes what the disk refused so far, if it takes it now
        } catch (IOException e) {
            log.warn("results left in the outbox for next start: {}", e.getMessage());
        } catch (InterruptedException e) {
            interrupted = true;
        }
        giveBackWhatIsLeft();
        List<String> held = outbox.heldInMemory();
        List<String> receiptsLost = held.stream().filter(acked::storedWithoutReceipt).toList();
        if (!receiptsLost.isEmpty()) {
            log.warn("stopping with {} results the coordinator stored but neither they nor their receipts written "
                    + "(the disk refused them): their receipts are lost: {}", receiptsLost.size(), receiptsLost);
        }
        List<String> lost = held.stream().filter(name -> !acked.storedWithoutReceipt(name)).toList();
        if (!lost.isEmpty()) {
            log.error("stopping with {} results neither written (the disk refused them) nor acknowledged: {} are lost "
                    + "and their units will be issued again", lost.size(), lost);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * At the end of the run (an orderly stop, or the unit budget spent), every evaluation still in a
     * slot's buffer, its claimed-ahead unit or one a slot held behind a closed gate, will not be run by
     * this process: each is given back, once, before the process exits, where it used to wait out its
     * lease (or a restart in time). The running job's unit is not among them: its job is stopped and
     * its lease runs out, as before (SlotWorker says so). An exploration is kept for the next start, as
     * a pause keeps it. Within {@link CoordinatorClient#SETTLE_TIMEOUT}, all at once; what the
     * coordinator did not hear by then stays kept, sent by the next start while its lease lasts.
     */
    private void giveBackWhatIsLeft() {
        Map<String, GiveBacks.Pending> left = new LinkedHashMap<>();
        for (SlotWorker w : workers) {
            String slot = w.slot().name();
            for (Optional<WorkUnit> held : List.of(buffer.get(slot), buffer.ahead(slot))) {
                WorkUnit unit = held.orElse(null);
                if (unit == null || outbox.holds(unit.getId())) {
                    continue;  // none, or run already: its result waits in the outbox
                }
                if (unit.getKind() != WorkUnit.Kind.EVALUATE) {
                    log.info("{}: exploration {} is kept for the next start (its lease runs out at {})", slot,
                            unit.getId(), Instant.ofEpochMilli(unit.getLeaseDeadlineMs()));
                    continue;
                }
                left.putIfAbsent(unit.getId(), new GiveBacks.Pending(unit.getId(), slot,
                        "the node stopped before running it", unit.getLeaseDeadlineMs()));
            }
        }
        for (GiveBacks.Pending p : left.values()) {
            giveBacks.keep(p);
        }
        for (SlotWorker w : workers) {
            try {
                if (buffer.get(w.slot().name()).filter(u -> left.containsKey(u.getId())).isPresent()) {
                    buffer.clear(w.slot().name());
                }
                if (buffer.ahead(w.slot().name()).filter(u -> left.containsKey(u.getId())).isPresent()) {
                    buffer.clearAhead(w.slot().name());
                }
            } catch (IOException e) {
                log.warn("{}: cannot clear the units given back from the buffer: {}", w.slot().name(), e.getMessage());
            }
        }
        List<GiveBacks.Pending> unheard = giveBacks.sendAllWithin(CoordinatorClient.SETTLE_TIMEOUT.ceiling());
        if (!unheard.isEmpty()) {
            log.warn("stopping with {} units not given back (the coordinator did not answer in time): kept, and given "
                    + "back by the next start while their leases last: {}", unheard.size(),
                    unheard.stream().map(GiveBacks.Pending::unitId).toList());
        }
    }

    private void deliverAndAnnounce() {
        try {
            giveBacks.round();
            delivery.round(false);
            announcer.announceIfDue(HEARTBEAT_MS, this::availability);
        } catch (IOException | RuntimeException e) {
            log.warn("reporting: {}", e.toString());
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * How long a slot's claim may wait at the coordinator for work to open (an older coordinator
     * answers at once): a unit registered meanwhile is leased to a waiting slot within moments,
     * where the slot used to find it only after its back-off (up to a minute).
     */
    static final int CLAIM_WAIT_S = 20;
    /** The pause after a claim that waited in vain: the coordinator already held it for its wait. */
    static final long AFTER_WAITED_CLAIM_MS = 1000;

    /**
     * The node's {@code --direction} is checked by the first claim that reaches the coordinator: a
     * node started while the coordinator was down could not check it at start, and was refused at
     * every claim after, in WARN lines naming no option, for as long as it ran. Refused as not
     * found there, the node stops and says why ({@link #directionRefused()}). A refusal later (the
     * direction gone from a coordinator started afresh) leaves the node running, as before.
     */
    private void checkDirection(CoordinatorException e) {
        if (e.status() == 0 || firstClaimAnswered.getAndSet(true) || !directionUnchecked || settings.direction() == null
                || e.code() != dev.rhizome.proto.v1.Error.Code.NOT_FOUND) {
            return;
        }
        directionRefused = e.getMessage();
        log.error("the coordinator does not know --direction {} ({}): stopping", settings.direction(), e.getMessage());
        stop();
    }

    /**
     * The direction was not checked at start (the coordinator did not answer then): the first
     * claim that reaches the coordinator checks it. Called before {@link #run()}.
     */
    public void checkDirectionAtFirstClaim() {
        directionUnchecked = true;
    }

    /** Why the first claim that reached the coordinator was refused for the node's direction; empty otherwise. */
    public Optional<String> directionRefused() {
        return Optional.ofNullable(directionRefused);
    }

    /** What the slots share: the coordinator, the fetch path, the outbox, the gate and the unit budget. */
    private final class SharedWork implements SlotWorker.Work {
        /** Whether this slot's last claim was held for its whole wait (each slot claims on its own thread). */
        private final ThreadLocal<Boolean> waitedInVain = ThreadLocal.withInitial(() -> false);
        /** Why this thread's last claim got no unit, as the coordinator put it; null when it got one. */
        private final ThreadLocal<String> noWorkReason = new ThreadLocal<>();
        /** Commits still being fetched for units given back, with how many slots fetch each (FetchingGivenBack). */
        private final FetchingGivenBack fetchingGivenBack = new FetchingGivenBack();

        @Override
        public WorkUnit claim(Slot slot, boolean mayExplore, CoordinatorClient.Recorder keep)
                throws CoordinatorException, IOException {
            int max = settings.maxUnits();
            if (max > 0 && claimed.getAndIncrement() >= max) {
                claimed.decrementAndGet();
                return null;
            }
            boolean got = false;
            try {
                ClaimRequest.Builder request = ClaimRequest.newBuilder()
                        .setNode(identity.publicId().toByteString())
                        .setHardwareClass(slot.hardwareClass())
                        .addKinds(WorkUnit.Kind.EVALUATE)
                        .setTimeMs(clock.millis())
                        .setWaitS(CLAIM_WAIT_S)
                        // a unit given back starved from a few networks waits for a machine with a core idle
                        .setCoreToSpare(load.get().map(MachineLoad::leavesACoreIdle).orElse(false));
                if (mayExplore) {
                    request.addKinds(WorkUnit.Kind.EXPLORE).setBuiltinExplorer(true);
                }
                if (settings.direction() != null) {
                    request.setDirection(settings.direction());
                }
                request.addAllFetchingGivenBack(fetchingGivenBack.commits());
                ClaimResponse response;
                try {
                    response = coordinator.claim(request.build(), keep);
                } catch (CoordinatorException e) {
                    checkDirection(e);
                    throw e;
                }
                firstClaimAnswered.set(true);
                got = response.hasUnit();
                // Held for its wait and nothing came: the next claim waits again at once, not
                // after a back-off that grows while nothing happens (docs/api.md "Claims that wait").
                waitedInVain.set(!got && response.getWaited());
                noWorkReason.set(got || response.getReason().isBlank() ? null
                        : JobText.printable(response.getReason(), Evaluator.MAX_REASON_CHARS));
                return got ? response.getUnit() : null;
            } finally {
                if (max > 0 && !got) {
                    claimed.decrementAndGet();
                }
            }
        }

        @Override
        public void fetch(WorkUnit unit) throws Exception {
            commits.fetch(unit.getCommit(), unit.getPeersList());
        }

        @Override
        public long renew(WorkUnit unit) throws CoordinatorException {
            String deadline = coordinator.renewLease(LeaseRenewal.newBuilder().setWorkUnitId(unit.getId())
                    .setNode(identity.publicId().toByteString()).setTimeMs(clock.millis()).build()).getMessage();
            try {
                return Long.parseLong(deadline);
            } catch (NumberFormatException e) {
                return unit.getLeaseDeadlineMs();
            }
        }

        @Override
        public void report(Slot slot, Result result) throws IOException {
            SignedEnvelope signed;
            try {
                signed = coordinator.signed(result);  // for the network the unit was claimed from
            } catch (CoordinatorException e) {
                throw new IOException("the result of unit " + result.getWorkUnitId() + " could not be signed: "
                        + e.getMessage(), e);
            }
            heldBack.add(ResultOutbox.fileName(result.getWorkUnitId()));  // before the reporter's next pass can list it
            outbox.put(result.getWorkUnitId(), signed);
            CrashPoints.at(CrashPoints.RESULT_KEPT);
            signedResults.accept(signed);
            failures.record(result);
            log.info("{}: result {} {}: {} {} in {} ms (unit {})", slot.name(), CommitId.abbreviate(result.getCommit()),
                    result.getStatus(), result.getMetricName(),
                    result.getStatus() == Result.Status.OK ? result.getMetric() : "-", result.getRuntimeMs(),
                    result.getWorkUnitId());
        }

        @Override
        public void notRun(Slot slot, WorkUnit unit, long runtimeMs, String reason) {
            failures.recordNotRun(unit, runtimeMs, reason, clock.millis());
            log.warn("{}: {} not reported (unit {}): {}; the commit is not blamed: the unit is given back and the "
                    + "coordinator issues it again. Fewer jobs at once (--cpu-jobs 1) or --idle-only leave them a CPU", slot.name(),
                    CommitId.abbreviate(unit.getCommit()), unit.getId(), reason);
            BusyBackoff backoff = backoffOf(slot);
            if (backoff != null) {
                log.warn("{}: {}", slot.name(), backoff.starved(clock.millis(), reason));
            }
        }

        @Override
        public void giveBack(Slot slot, WorkUnit unit, String reason, boolean starved) {
            // kept before the slot forgets the unit, and sent by the reporter at once, then again
            // until the coordinator hears (GiveBacks): a slot never waits on the coordinator for it
            giveBacks.keep(new GiveBacks.Pending(unit.getId(), slot.name(), reason, unit.getLeaseDeadlineMs(), starved));
            try {
                reporter.execute(giveBacks::round);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                // the reporter has ended: the stop's own pass sends it (giveBackWhatIsLeft)
            }
        }

        @Override
        public void fetchingGivenBack(String commit, boolean on) {
            if (on) {
                fetchingGivenBack.started(commit);
            } else {
                fetchingGivenBack.ended(commit);
            }
        }

        @Override
        public boolean fetchingGivenBack(String commit) {
            return fetchingGivenBack.holds(commit);
        }

        @Override
        public boolean givingBack(String unitId) {
            return giveBacks.holds(unitId);
        }

        @Override
        public Optional<String> claimHold(Slot slot) {
            BusyBackoff backoff = backoffOf(slot);
            if (backoff == null) {
                return Optional.empty();
            }
            // the jobs of ours the load counts: the CPU slots' for theirs, every one for a GPU slot's
            boolean gpu = backoff != busy;
            int ownJobs = (int) workers.stream().filter(w -> w.busy() && (gpu || cpuIndex.containsKey(w.slot()))).count();
            String change = backoff.read(clock.millis(), load.get(), ownJobs);
            if (change != null) {
                log.info("{}: {}", slot.name(), change);
            }
            return backoff.hold(gpu ? 0 : cpuIndex.get(slot));
        }

        /** The back-off that holds {@code slot}'s claims: the CPU slots' shared one, or its GPU's own. */
        private BusyBackoff backoffOf(Slot slot) {
            return cpuIndex.containsKey(slot) ? busy : gpuBusy.get(slot);
        }

        @Override
        public void released(String unitId) {
            if (heldBack.remove(ResultOutbox.fileName(unitId))) {
                reporter.execute(() -> {
                    announcer.announceNow(WorkLoop.this::availability);
                    deliverAndAnnounce();
                });
            }
        }

        @Override
        public boolean holdsResultFor(String unitId) {
            return outbox.holds(unitId);
        }

        @Override
        public void explore(WorkUnit unit) throws Exception {
            if (explorer == null) {
                return;
            }
            explorerPapers.followUp(coordinator);
            commits.fetch(unit.getCommit(), unit.getPeersList());
            List<Explorer.Proposal> proposals = explorer.propose(unit);
            announcer.announceNow(WorkLoop.this::availability);
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
                        .setBuiltinExplorer(true)
                        .build());
                experimentsProposed.incrementAndGet();
                explorerPapers.proposed(p.commit(), unit.getDirection(), p.description());
                done.addCommits(p.commit());
                log.info("proposed {} on {}: {}", CommitId.abbreviate(p.commit()), unit.getDirection(), p.description());
            }
            coordinator.exploreDone(done.setTimeMs(clock.millis()).build());
        }

        @Override
        public void closeUnexplored(WorkUnit unit, String reason) throws CoordinatorException {
            coordinator.exploreDone(ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                    .setNode(identity.publicId().toByteString()).setReason(reason).setTimeMs(clock.millis()).build());
        }

        @Override
        public Optional<String> gateClosed() {
            return gate.closedBecause();
        }

        @Override
        public boolean stopping() {
            return stopping;
        }

        @Override
        public Optional<String> noWorkReason() {
            return Optional.ofNullable(noWorkReason.get());
        }

        @Override
        public long backoffMs(long current) {
            if (settings.maxUnits() > 0 && claimed.get() >= settings.maxUnits()) {
                return -1;
            }
            if (waitedInVain.get()) {
                waitedInVain.set(false);
                return AFTER_WAITED_CLAIM_MS;
            }
            return Math.min(settings.maxBackoffMs(), current == 0 ? 1000 : current * 2);
        }
    }
}
