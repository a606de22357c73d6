package dev.rhizome.node;

import dev.rhizome.node.api.AnnouncedReach;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.api.KnownNetwork;
import dev.rhizome.node.api.ReachabilityLog;
import dev.rhizome.node.control.ControlServer;
import dev.rhizome.node.disk.DataJanitor;
import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.node.disk.SpaceReserve;
import dev.rhizome.node.disk.WantedCommits;
import dev.rhizome.node.explore.Explorer;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.RepoCompactor;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipNetwork;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.gossip.net.GossipService;
import dev.rhizome.node.gossip.net.GossipSettings;
import dev.rhizome.node.hardware.Hardware;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.CpuShare;
import dev.rhizome.node.job.SlotCpus;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.JobText;
import dev.rhizome.node.job.NodeJobDirs;
import dev.rhizome.node.job.ProcessLauncher;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxUnavailableException;
import dev.rhizome.node.job.ShownDataDir;
import dev.rhizome.node.metrics.MetricsServer;
import dev.rhizome.node.metrics.NodeMetrics;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.prefs.IdleSignals;
import dev.rhizome.node.prefs.KeptPause;
import dev.rhizome.node.prefs.PauseLock;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.node.prefs.RunGate;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.node.work.Evaluator;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.node.work.NodeStatus;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.node.work.Slot;
import dev.rhizome.node.work.SlotPlan;
import dev.rhizome.node.work.UnitBuffer;
import dev.rhizome.node.work.WorkLoop;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.WorkerFailures;
import dev.rhizome.protocol.files.ProcessLock;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running volunteer node: identity, repository, the gossip service (which also serves bundles)
 * and the work loop, wired together.
 */
public final class NodeDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeDaemon.class);
    /**
     * How long the control socket's {@code announce} waits for the coordinator: under the 15 s a
     * command waits for the node's answer ({@code ControlClient.PATIENCE}), so the command hears
     * the node's word and can announce itself in time where the node's did not go through.
     */
    static final Duration ANNOUNCE_ON_REQUEST = Duration.ofSeconds(10);
    /** How long a start waits for an offline pause or resume to finish its write (an fsync; seconds at most). */
    static final Duration PAUSE_LOCK_PATIENCE = Duration.ofSeconds(30);

    private final NodeLayout layout;
    private final Identity identity;
    private final NodeRepository repository;
    private final GossipService gossip;
    private final WorkLoop loop;
    private final Thread loopThread;
    private final Path jobDirs;
    /** This start's job directories, whose delete under way a stop lets end cleanly. */
    private final NodeJobDirs startDirs;
    private final RunGate gate;
    private final ControlServer control;
    private final DataJanitor janitor;
    private final ScheduledExecutorService housekeeping;
    private final NodeMetrics metrics;
    private final MetricsServer metricsServer;
    private final ProcessLock owner;
    /** Held while this node answers pause and resume: offline commands leave the kept pause to it. */
    private PauseLock pauseLock;
    private final InventoryAnnouncer announcer;
    /** Why peers cannot fetch from this node at its announced address, judged at start; null when they can. */
    private final String unreachableBecause;
    private final String announcedAddress;
    private final int announcedPort;
    private final NodeStatus.Preferences preferencesShown;
    /** The coordinator this node works for: its status names it, for `node status` to ask it for the credit. */
    private final String coordinatorUrl;

    private NodeDaemon(NodeConfig config, ProcessLauncher launcher, Identity identity, ProcessLock owner)
            throws IOException, InterruptedException {
        this.owner = owner;
        this.layout = new NodeLayout(config.dataDir());
        this.coordinatorUrl = config.coordinatorUrl();
        this.identity = identity;
        Hardware hardware = HardwareProbe.probe();
        log.info("node {} on {} ({} cores{}), class {}", identity.publicId().shortForm(), hardware.cpuModel(),
                hardware.cores(), hardware.gpus().isEmpty() ? "" : ", " + hardware.gpus().size() + " GPU",
                hardware.hardwareClass());
        // before the gossip service can write its peer list: this process owns the directory now
        DataJanitor.removeInterruptedWrites(layout);
        DataJanitor.removeTempBundles();
        this.repository = NodeRepository.open(layout.repository());
        try {
            CoordinatorClient coordinator = new CoordinatorClient(config.coordinatorUrl(), identity);
            // every thread's calls (slots, reporter, announcer, gossip's entry points) tell one log
            coordinator.watch(new ReachabilityLog(coordinator.url().toString(), config.coordinatorSetBy(), Clock.systemUTC()));
            TransferLog transfers = new TransferLog(layout.transfers());
            // the coordinator's network, kept in the data dir once learnt: gossip signs for it from
            // the start, even while the coordinator is away; checked at each ask for entry points
            // (and gossip learns it from the first call that hears it: a slot's claim, a heartbeat)
            GossipNetwork network = GossipNetwork.unnamed();
            KnownNetwork kept = KnownNetwork.ofNode(layout.dataDir()).telling(network::learn);
            coordinator.keepNetworkIn(kept);
            String keptId = kept.read();
            if (keptId != null) {
                network.learn(keptId);
            }
            PrometheusMeterRegistry meters = NodeMetrics.newRegistry();
            this.gossip = GossipService.start(repository, identity,
                    GossipSettings.defaults(config.host(), config.peerPort(), hardware.hardwareClass(), layout.peers())
                            .withAnnounce(config.announce()),
                    // The wants filter: fetch what the work needs, and keep copies of neighbours' new commits when named.
                    // Keeper duties within half the repository's budget, each reserving the largest bundle until it arrives.
                    GossipCore.factory(identity, GossipConfig.defaults(), Wants.workAndReplicas(Wants.DEFAULT_COPIES,
                            config.preferences().keepBytes(), PeerConfig.defaults().maxBundleBytes()), network),
                    () -> entryPoints(coordinator, network), coordinator::reach, transfers, null, meters);
            Clock clock = Clock.systemUTC();
            // One fetch path: the work loop's fetches go through the gossip core's planner.
            CommitFetcher commits = new CommitFetcher(gossip::fetchNow, coordinator);
            // Checkouts live outside the data dir: the one place a job may write is nowhere near the node's key.
            // Named anew at each start, tagged by a key only the node holds (itself new at each start): a job
            // reads its checkout's host path (in /proc/self/mountinfo), and the node still finds what a killed
            // start of its left.
            // And each job's directory is new too (NodeJobDirs): one kept for the run let its jobs tell that they
            // ran on the same node.
            this.startDirs = launcher instanceof BwrapLauncher sandbox ? sandbox.startNodeJobDirs(layout.jobsName())
                    : JobDirs.startNode(layout.jobsName());
            this.jobDirs = startDirs.dir();
            long deleting = System.nanoTime();
            startDirs.leftoversDeleted().whenComplete((count, failed) -> {
                if (failed != null) {
                    log.warn("could not delete the job directories an earlier run left (the next start tries again): {}",
                            JobText.printable(failed.toString(), 400)); // a path in it is a job's
                } else if (count > 0) {
                    log.info("deleted {} job director{} an earlier run left, in {} ms", count, count == 1 ? "y" : "ies",
                            (System.nanoTime() - deleting) / 1_000_000);
                }
            });
            NodePreferences prefs = config.preferences();
            gossip.capDownloads(prefs.maxDownloadKBps() * 1024);
            List<Slot> slots = SlotPlan.of(hardware, prefs);
            this.preferencesShown = NodeStatus.Preferences.of(prefs, (int) slots.stream().filter(s -> s.gpu().isPresent())
                    .count());
            if (slots.isEmpty()) {
                // its journal of claims in flight is left for a later run with slots: this one sends none
                log.info("serve-only: no slot (no GPU chosen and cpu-jobs 0), so this node claims no work and runs no "
                        + "job; it serves the bundles it holds to peers{}", config.explore() ? " (--explore needs a "
                        + "slot and does nothing here)" : "");
            } else {
                // before any slot claims: what an earlier run's slots had in flight when it died goes again
                coordinator.keepClaimsIn(layout.claims(), slots.size());
            }
            Map<Slot, Evaluator> evaluators = new LinkedHashMap<>();
            // The slots' jobs run at once, and what the kernel counts for the node's uid (tasks, pending
            // signals) and the machine's memory are one budget: each slot's jobs take their share of it.
            JobRunner runner = new JobRunner(launcher).shared(Math.max(1, slots.size()));
            if (runner.launcher() instanceof BwrapLauncher share) {
                log.info("each of {} slots' jobs: {}", slots.size(), share.plan().summary());
                if (share.subordinateUids()) {
                    log.info("each slot's jobs run as a subordinate uid of this user's own (/etc/subuid), in a user "
                            + "namespace of the node's");
                } else if (!share.plan().ownUid()) {
                    log.warn("jobs share this node's uid: what the kernel counts per uid is shared with this user's "
                            + "other programs; {}", SandboxProbe.SHARED_UID_FIX);
                }
            }
            int index = 0;
            // Each slot's jobs on a share of the node's CPUs of their own: two slots never contend for a core, and a
            // job (which cannot widen its affinity) never takes another slot's. A GPU slot's share is larger, for its
            // data loading; the division is made anew at each launch, of the CPUs online then.
            List<Integer> cpuWeights = slots.stream().map(s -> s.gpu().isPresent() ? CpuShare.GPU_SLOT_WEIGHT : 1).toList();
            Optional<CpuShare> nodeCpus = CpuShare.ofThisProcess();
            for (Slot planned : slots) {
                // Each slot's jobs get their own subdirectory (two slots never share a checkout path) and,
                // where jobs run as uids of their own, their own uid.
                JobRunner slotRunner = runner.forSlot(index);
                if (nodeCpus.isPresent()) {
                    slotRunner = slotRunner.pinnedTo(new SlotCpus(nodeCpus.get(), cpuWeights, index));
                }
                index++;
                Slot slot = planned.withCpus(slotRunner.launcher().cpus());
                slot.cpus().ifPresent(cpus -> log.info("slot {}'s jobs run on CPUs {}", slot.name(), cpus.list()));
                if (slotRunner.launcher() instanceof BwrapLauncher own && own.plan().ownUid()) {
                    log.info("slot {}'s jobs run as uid {}", slot.name(), own.plan().jobUid().getAsInt());
                }
                evaluators.put(slot, new Evaluator(identity, repository, commits, slotRunner, slotRunner.launcher(),
                        slot.hardwareClass(), startDirs, layout.logs(), clock, slot.env()));
            }
            Explorer explorer = config.explore()
                    ? new Explorer(repository, new PersonIdent("rhizome explorer " + identity.publicId().shortForm(),
                            identity.publicId().shortForm() + "@rhizome"), new SecureRandom(), 2)
                    : null;
            // Behind a NAT or in a container, what peers dial (--announce) is not what the server binds:
            // the coordinator, the peers and the reach check all hear the announced one.
            this.announcedPort = config.announce() != null ? config.announce().port() : gossip.port();
            this.announcer = new InventoryAnnouncer(coordinator, repository, config.announcedHost(),
                    announcedPort, hardware.hardwareClass(), clock, gossip::onLocalCommit);
            this.unreachableBecause = AnnouncedReach.narrowerThanCoordinator(config.announcedHost(), coordinator.reach(),
                    coordinator.url().toString()).orElse(null);
            this.announcedAddress = config.announcedHost().contains(":")
                    ? "[" + config.announcedHost() + "]:" + announcedPort : config.announcedHost() + ":" + announcedPort;
            if (unreachableBecause != null) {
                log.warn("not reachable by peers: {}", unreachableBecause);
            }
            WorkLoop[] self = new WorkLoop[1];
            this.janitor = new DataJanitor(layout, repository, prefs.bundleCacheMb(), prefs.workMb(),
                    () -> WantedCommits.of(self[0], repository),
                    new DataJanitor.RepoBudget(prefs.repoMb() << 20,
                            () -> onCore(gossip, c -> c.keptForOthers(), Set.<String>of()),
                            gossip::dropped));
            janitor.removeLeftoverWork();
            this.metrics = new NodeMetrics(meters, gossip, this::status);
            this.gate = new RunGate(prefs, new IdleSignals(), clock, () -> self[0].runningJobs(),
                    new DiskRoom(List.of(config.dataDir(), jobDirs), DiskRoom.MIN_FREE_BYTES));
            this.loop = new WorkLoop(identity, coordinator, (commit, peers) -> commits.fetch(commit, peers), evaluators,
                    explorer, new ResultOutbox(layout.outbox(),
                            new SpaceReserve(layout.outbox().resolve(SpaceReserve.FILE_NAME), SpaceReserve.BYTES)), new UnitBuffer(layout.buffer()), layout.giveBacks(), announcer, gate,
                    new WorkLoop.Settings(config.direction(), config.maxUnits(), config.maxBackoff().toMillis(),
                            prefs.prefetch()), layout.logs(), clock, signed -> {
                        metrics.resultSigned(signed);
                        gossip.announceResult(signed);
                    });
            self[0] = loop;
            // Held until the control socket closes: an offline `node pause` or `resume` changes the kept pause
            // either before this read or not at all (it then asks this node, once its socket answers).
            this.pauseLock = PauseLock.await(layout.dataDir(), PAUSE_LOCK_PATIENCE);
            // a pause the volunteer left in force: kept from before this start, and so announced from the first heartbeat
            Optional<Long> pausedSince = KeptPause.since(layout.dataDir());
            if (pausedSince.isPresent()) {
                gate.pause(pausedSince.get());
                log.info("paused{} (kept from before this start): no job starts until `rhizome node resume`",
                        pausedSince.get() < 0 ? "" : " since " + java.time.Instant.ofEpochMilli(pausedSince.get()));
            }
            if (config.directionUnchecked()) {
                loop.checkDirectionAtFirstClaim();
            }
            this.control = ControlServer.start(layout.controlSocket(), new ControlServer.Handler() {
                @Override
                public Object status() {
                    return NodeDaemon.this.status();
                }

                @Override
                public String node() {
                    return identity.publicId().toString();
                }

                /**
                 * Pause and resume each change the kept file and then the gate: answered concurrently and
                 * interleaved, a pause's file and a resume's gate could both land, leaving the node claiming
                 * with a pause its restart keeps. One at a time, the file and the gate always agree.
                 */
                private final Object pauseChanges = new Object();

                @Override
                public Optional<String> pause() {
                    synchronized (pauseChanges) {
                        long now = clock.millis();
                        // Kept before it takes effect, so a pause the node answered is one its restart keeps;
                        // a disk that refuses the file still pauses the node now, and the answer says so.
                        Optional<String> unkept = kept(() -> KeptPause.keep(layout.dataDir(), now), "written");
                        gate.pause(now);
                        loop.availabilityChanged();  // the coordinator hears at once, not at the next heartbeat
                        return unkept;
                    }
                }

                @Override
                public Optional<String> resume() {
                    synchronized (pauseChanges) {
                        Optional<String> unkept = kept(() -> KeptPause.forget(layout.dataDir()), "removed");
                        gate.resume();
                        loop.availabilityChanged();
                        return unkept;
                    }
                }

                @Override
                public Object announce() {
                    InventoryAnnouncer.Told told = loop.announceOnRequest(ANNOUNCE_ON_REQUEST);
                    Map<String, Object> answer = new LinkedHashMap<>();
                    answer.put("node", identity.publicId().toString());
                    answer.put("coordinator", coordinatorUrl);
                    answer.put("announced", told.announced());
                    answer.put("hardware_class", told.hardwareClass());
                    answer.put("paused", told.paused());
                    answer.put("not_claiming", told.notClaiming());
                    answer.put("problem", told.problem());
                    return answer;
                }

                private Optional<String> kept(KeptPause.Change change, String done) {
                    try {
                        change.run();
                        return Optional.empty();
                    } catch (IOException e) {
                        String why = layout.pauseFile() + " could not be " + done + ": " + e.getMessage()
                                + (DiskRoom.isFull(e) ? " (the disk is full)" : "");
                        log.warn("{}", why);
                        return Optional.of(why);
                    }
                }
            });
            this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "janitor");
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(WorkerFailures.periodic(log, "the data janitor", janitor::prune), 0, 5,
                    TimeUnit.MINUTES);
            log.info("slots: {}", slots.stream().map(s -> s.name() + " (" + s.hardwareClass() + ")").toList());
            try {
                // what commands sharing the directory announce for this node: where peers dial it
                new NodeEndpoint(identity.publicId().toString(), config.announcedHost(), announcedPort,
                        ProcessHandle.current().pid())
                        .write(config.dataDir());
            } catch (IOException e) {
                // A node restarted on a full disk failed here, and a service manager restarted it
                // again and again; the file only helps an agent's commands find this node.
                log.warn("cannot write {} ({}{}); commands sharing this data directory will not find this node "
                        + "until it is restarted with room on the disk", layout.endpointFile(), e.getMessage(),
                        DiskRoom.isFull(e) ? ": the disk is full" : "");
            }
            this.metricsServer = config.metricsPort() < 0 ? null : MetricsServer.start(config.metricsPort(), metrics);
            if (metricsServer != null) {
                log.info("metrics on http://127.0.0.1:{}/metrics", metricsServer.port());
            }
            this.loopThread = new Thread(loop, "work-loop");
            log.info("peer server on {}:{}{}, coordinator {}, {}", config.host(), gossip.port(),
                    config.announce() != null ? " (peers dial " + announcedAddress + ")" : "",
                    config.coordinatorUrl(), slots.isEmpty() ? "serving only"
                    : config.explore() ? "exploring and evaluating" : "evaluating");
        } catch (Throwable e) { // a port in use, say (Netty rethrows its BindException undeclared)
            closeWhatStarted();
            throw e;
        }
    }

    private void releasePauseLock() {
        if (pauseLock != null) {
            try {
                pauseLock.close();
            } catch (IOException e) {
                log.debug("could not release {}", layout.pauseLock(), e);
            }
        }
    }

    /** What a failed start had opened, so a process that goes on (a test, an embedding) keeps no port or file. */
    private void closeWhatStarted() {
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (control != null) {
            control.close();
        }
        releasePauseLock();
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (gossip != null) {
            gossip.close();
        }
        if (startDirs != null) {
            // the leftovers' delete finished or stopped as a stop does: the process's end, which may follow, would cut it
            try {
                startDirs.stop(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (jobDirs != null) {
            try {
                JobDirs.delete(jobDirs);
            } catch (IOException e) {
                log.debug("could not remove {}", jobDirs, JobText.loggable(e)); // a file of a job's in it
            }
        }
        repository.close();
    }

    /** The work loop's status with the disk: the repository against its budget, and what is kept for neighbours. */
    private NodeStatus status() {
        RepoCompactor.Usage repo = janitor.repoUsage();
        GossipCore.KeepUsage keep = onCore(gossip, GossipCore::keepUsage, new GossipCore.KeepUsage(0, 0, 0, 0));
        return loop.status().withDisk(new NodeStatus.Disk(repo == null ? -1 : repo.bytes(), janitor.repoBudgetBytes(),
                repo == null ? -1 : repo.packs(), keep.usedBytes(), keep.budgetBytes(), keep.declined()))
                .withPeers(peers()).withCoordinator(coordinatorUrl).withPreferences(preferencesShown);
    }

    /** Whether peers can fetch from this node: its address against the coordinator's reach, then the coordinator's word. */
    private NodeStatus.Peers peers() {
        int blocked = gossip.bundleReadersBlocked();
        GossipService.ClockCheck check = gossip.clockCheck();
        NodeStatus.Clock clock = check == null ? null : new NodeStatus.Clock(check.peersAheadMs(), check.peers(), check.problem());
        if (unreachableBecause != null) {
            return new NodeStatus.Peers(announcedAddress, false, unreachableBecause, blocked, clock);
        }
        return announcer.refusal()
                .map(why -> new NodeStatus.Peers(announcedAddress, false, "the coordinator refused this node's announcement ("
                        + why + "): it lists this node to no one, so peers will not fetch from it (it still fetches and "
                        + "runs work)", blocked, clock))
                .orElse(new NodeStatus.Peers(announcedAddress, true, null, blocked, clock));
    }

    /** {@code query} on the gossip core's thread, or {@code otherwise} when the protocol is not the core (or we are interrupted). */
    private static <T> T onCore(GossipService gossip, Function<GossipCore, T> query, T otherwise) {
        try {
            return gossip.query(p -> p instanceof GossipCore c ? query.apply(c) : otherwise);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return otherwise;
        }
    }

    /** Where to start dialling the gossip network: the nodes the coordinator saw recently. */
    private static List<NodeInfo> entryPoints(CoordinatorClient coordinator, GossipNetwork network) {
        try {
            network.learn(coordinator.networkAsAnswered());
            return coordinator.nodes().getPeersList().stream()
                    .map(p -> NodeInfo.newBuilder().setNode(p.getNode()).setHost(p.getHost()).setPort(p.getPort()).build())
                    .toList();
        } catch (CoordinatorException e) {
            if (e.code() == dev.rhizome.proto.v1.Error.Code.WRONG_NETWORK) {
                // not followed: the node keeps its network (its gossip, its outbox) and says so at each ask
                log.error("WRONG NETWORK: {}", e.getMessage());
                return List.of();
            }
            if (e.status() == 0) {
                // unreachable: the ReachabilityLog has told the volunteer (once a minute at most);
                // gossip asks again later, and meanwhile dials the peers it knew (peers.bin)
                return List.of();
            }
            throw new IllegalStateException("coordinator has no nodes for us: " + e.getMessage(), e);
        }
    }

    /** A node whose jobs run in this machine's sandbox; refused when the machine can't build one. */
    public static NodeDaemon start(NodeConfig config) throws IOException, InterruptedException, SandboxUnavailableException {
        return start(config, SandboxProbe.launcher());
    }

    /** A node whose jobs start through the given launcher. */
    public static NodeDaemon start(NodeConfig config, ProcessLauncher launcher) throws IOException, InterruptedException {
        // Before anything is read or cleaned up: the work directory, the repository's locks and
        // the outbox are this process's alone, and leftovers in them are taken as a crash's.
        refuseDataDirShownToJobs(config, launcher);  // before the lock makes the directory: a refusal writes nothing
        return start(config, launcher, lockDataDir(config.dataDir()));
    }

    /**
     * The one value a node's start refuses itself: its data directory. A type of its own, so that a
     * caller naming the option at fault ({@code --data-dir}) names it for this refusal only, not for
     * any other {@link IllegalArgumentException} a start may meet.
     */
    public static final class DataDirRefused extends IllegalArgumentException {
        DataDirRefused(String message) {
            super(message);
        }
    }

    /** A data directory every job of {@code launcher}'s would see (the node's key with it) is refused. */
    private static void refuseDataDirShownToJobs(NodeConfig config, ProcessLauncher launcher) throws IOException {
        if (launcher instanceof BwrapLauncher sandbox) {
            Optional<ShownDataDir> shown = sandbox.shownToEveryJob(config.dataDir());
            if (shown.isPresent()) {
                throw new DataDirRefused(shown.get().problem() + "; " + ShownDataDir.FIX);
            }
        }
    }

    /**
     * Takes the data directory's lock ({@link NodeLayout#ownerLock}), making the directory
     * (owner-only) when it is new: the first thing a node's start does, before its sandbox trial
     * job (seconds) and any request, so that a second node on a directory in use is refused at
     * once, naming the directory and the pid that holds it ({@link ProcessLock.Held}).
     */
    public static ProcessLock lockDataDir(Path dataDir) throws IOException {
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            IdentityStore.loadOrCreate(dataDir);  // says it is a file, as a key's load would
        }
        IdentityStore.createPrivateDirectory(dataDir);
        return ProcessLock.acquire(new NodeLayout(dataDir).ownerLock(), "the node data directory " + dataDir.toAbsolutePath());
    }

    /**
     * A node whose jobs start through the given launcher, on a data directory whose lock the caller
     * took ({@link #lockDataDir}); the node owns {@code owner} from here, and closes it when it
     * stops or fails to start.
     */
    public static NodeDaemon start(NodeConfig config, ProcessLauncher launcher, ProcessLock owner)
            throws IOException, InterruptedException {
        NodeDaemon daemon;
        try {
            refuseDataDirShownToJobs(config, launcher);
            Identity identity = IdentityStore.loadOrCreate(config.dataDir());
            daemon = new NodeDaemon(config, launcher, identity, owner);
        } catch (IOException | RuntimeException | InterruptedException e) {
            owner.close();
            throw e;
        }
        daemon.loopThread.start();
        return daemon;
    }

    public Identity identity() {
        return identity;
    }

    public int peerPort() {
        return gossip.port();
    }

    /**
     * What the last announcement made at once (not at the reporter's pass or heartbeat) told the
     * coordinator of this node's availability: how a test tells a pause heard at once from one the
     * next pass would have sent anyway.
     */
    public Optional<dev.rhizome.node.work.InventoryAnnouncer.Availability> lastAnnouncedAtOnce() {
        return announcer.lastTakenAtOnce();
    }

    /** Where peers dial this node, HOST:PORT: its {@code --announce}, or the address its peer server binds. */
    public String announcedAddress() {
        return announcedAddress;
    }

    public NodeRepository repository() {
        return repository;
    }

    public RunGate gate() {
        return gate;
    }

    public Path controlSocket() {
        return control.socket();
    }

    /** The loopback port serving {@code /metrics}; empty when the node serves none. */
    public OptionalInt metricsPort() {
        return metricsServer == null ? OptionalInt.empty() : OptionalInt.of(metricsServer.port());
    }

    public NodeMetrics metrics() {
        return metrics;
    }

    public WorkLoop loop() {
        return loop;
    }

    /** Waits for the loop to finish (it does when maxUnits is reached). */
    /**
     * Why the node stopped by itself at its first claim: the coordinator does not know its
     * {@code --direction}; empty when it did not.
     */
    public Optional<String> directionRefused() {
        return loop.directionRefused();
    }

    public void join() throws InterruptedException {
        loopThread.join();
    }

    @Override
    public void close() throws InterruptedException {
        if (metricsServer != null) {
            metricsServer.close();
        }
        control.close();
        releasePauseLock();  // its socket closed, the node answers no pause: an offline one may keep it now
        housekeeping.shutdownNow();
        loop.stop();
        loopThread.interrupt();
        // The loop's own end settles its claims-ahead and gives back what it will not run, each up to
        // a settle budget, after its slots: the wait covers both beside the slots' 10 s.
        Duration stopWait = Duration.ofSeconds(10).plus(CoordinatorClient.SETTLE_TIMEOUT.now().multipliedBy(2));
        loopThread.join(stopWait.toMillis());
        // A slot still finishing may still write into the data directory: its lock is then left to
        // this process's exit, so a node started on the directory meanwhile cannot meet that write.
        boolean loopEnded = !loopThread.isAlive();
        // a prune still running tells gossip of what it gives up: let it end before gossip closes
        housekeeping.awaitTermination(10, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(layout.endpointFile());
        } catch (IOException e) {
            log.debug("could not remove {}", layout.endpointFile(), e);
        }
        // A job directory's delete cut by the process's end left its trash in the temporary directory, and one
        // undone at once left the directory itself after a node's last stop: finished within 10 s, else undone.
        startDirs.stop(Duration.ofSeconds(10));
        try {
            JobDirs.delete(jobDirs);
        } catch (IOException e) {
            log.debug("could not remove {}", jobDirs, JobText.loggable(e)); // a file of a job's in it
        }
        gossip.close();
        repository.close();
        if (loopEnded) {
            try {
                owner.close();
            } catch (IOException e) {
                log.debug("could not release {}", layout.ownerLock(), e);
            }
        } else {
            log.warn("a slot was still finishing {} s after the stop: the data directory stays locked ({}) until this process exits",
                    stopWait.toSeconds(), layout.ownerLock());
        }
        log.info("node stopped: {} results reported, {} experiments proposed", loop.resultsReported(),
                loop.experimentsProposed());
    }
}
