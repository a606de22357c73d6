package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.StopClasses;
import dev.rhizome.client.cli.Suggestions;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.control.ControlServer;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.job.ProcessLauncher;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxUnavailableException;
import dev.rhizome.node.peer.DialAddress;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.node.prefs.TimeWindows;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.work.SlotPlan;
import dev.rhizome.protocol.files.ProcessLock;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  # can this machine sandbox jobs? (exit 0: yes)",
            "  rhizome node doctor",
            "  # join: claim, fetch, run and report until Ctrl-C or SIGTERM",
            "  rhizome node --coordinator http://HOST:7700",
            "  # start jobs only at night, two at once",
            "  rhizome node --cpu-jobs 2 --run-hours 22:00-07:00",
            "  # behind a NAT whose router, at 203.0.113.7, forwards port 7070 here",
            "  rhizome node --peer-port 7070 --announce 203.0.113.7:7070",
            "  # serve bundles to peers only, run no jobs",
            "  rhizome node --coordinator http://HOST:7700 --cpu-jobs 0 --gpus none",
            "  # in another terminal: slots, jobs with progress, credit",
            "  rhizome node status"},
        name = "node", mixinStandardHelpOptions = true,
        description = {"Run a volunteer node: claims work, fetches bundles from peers, runs jobs, reports signed results,",
            "and serves the bundles it holds to other nodes. Stops on SIGTERM or Ctrl-C; unsent results are kept.",
            "One job runs per GPU and up to --cpu-jobs on the CPUs; each slot's next unit is claimed and fetched while",
            "its job runs. Every option can also be set in DIR/node.properties (or --config FILE) under its own name",
            "without the dashes, e.g. `cpu-jobs=2`; options on the command line win.",
            "`rhizome node status|pause|resume` talk to the node running on the same data directory; a pause outlasts restarts.",
            "Every job runs in a bubblewrap sandbox; a machine that can't build one is refused (see `rhizome node doctor`)."},
        subcommands = {NodeCommand.Status.class, NodeCommand.Pause.class, NodeCommand.Resume.class,
            NodeDoctorCommand.class, NodeReceiptsCommand.class})
public final class NodeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DataDirOption dataDir;

    @Mixin
    CoordinatorOption coordinator;

    @Option(names = "--config", paramLabel = "FILE", converter = PathArguments.InputFile.class,
            description = "Preferences file (default: DIR/node.properties when it exists); keys are these options' names.")
    Path config;

    @Option(names = "--host", description = "Address the peer server binds and announces: one of this machine's own, which peers dial, not 0.0.0.0 (default: this machine's address on the route to the coordinator; 127.0.0.1 for a coordinator on this machine). With --announce it is only bound, and may be 0.0.0.0 (every interface, as in a container).", paramLabel = "HOST")
    String host;

    @Option(names = "--announce", paramLabel = "HOST:PORT", converter = NodeValues.Announce.class,
            description = "Where peers dial this node when that is not --host and --peer-port: the public address "
                    + "and port a NAT's router forwards to --peer-port, or a container's published port. Announced "
                    + "to the coordinator and peers, never bound (default: --host and the bound port).")
    DialAddress announce;

    @Option(names = "--peer-port", converter = Bounded.Port.class, defaultValue = "0", description = "Peer server port, 0 for any free one (default).", paramLabel = "PORT")
    int peerPort;

    @Option(names = "--metrics-port", converter = Bounded.Port.class, defaultValue = "0", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (loopback only; 0: off, the default).")
    int metricsPort;

    @Option(names = "--explore", arity = "0..1", description = "Also propose experiments with the built-in explorer.", paramLabel = "true|false")
    boolean explore;

    @Option(names = "--direction", description = "Only work on this direction.", paramLabel = "DIRECTION")
    String direction;

    @Option(names = "--max-units", converter = Bounded.NonNegativeInt.class, defaultValue = "0", description = "Stop after this many work units (0: run until stopped).", paramLabel = "N")
    int maxUnits;

    @Option(names = "--gpus", defaultValue = "all", paramLabel = "all|none|I,J", converter = NodeValues.Gpus.class,
            description = "GPUs to run jobs on, by nvidia-smi index (default ${DEFAULT-VALUE}).")
    String gpus;

    @Option(names = "--cpu-jobs", converter = Bounded.NonNegativeInt.class, paramLabel = "N",
            description = "CPU jobs at once (default: 1 on a machine without GPUs, 0 with). 0 with no GPU chosen "
                    + "(--gpus none, or none on the machine) is a serve-only node: it runs no jobs, needs no sandbox, "
                    + "and serves the bundles it holds to peers.")
    Integer cpuJobs;

    @Option(names = "--idle-only", arity = "0..1",
            description = "Start jobs only while the machine is idle: no terminal input for --idle-minutes and a load "
                    + "below --idle-max-load per core besides our jobs. Input that touches no terminal (a graphical "
                    + "session; the host's, seen from a container) is not seen: use --run-hours or rhizome node pause "
                    + "there.", paramLabel = "true|false")
    boolean idleOnly;

    @Option(names = "--idle-minutes", converter = Bounded.NonNegativeInt.class, defaultValue = "5", description = "Minutes without input that count as idle (default ${DEFAULT-VALUE}).", paramLabel = "MINUTES")
    int idleMinutes;

    @Option(names = "--idle-max-load", converter = Bounded.NonNegativeDouble.class, defaultValue = "0.3",
            description = "Load average per core, besides our jobs, below which the machine is idle (default ${DEFAULT-VALUE}).", paramLabel = "LOAD")
    double idleMaxLoad;

    @Option(names = "--run-hours", paramLabel = "HH:MM-HH:MM[,...]", converter = NodeValues.RunHours.class,
            description = "Local-time windows in which jobs may start, e.g. 22:00-07:00 (default: any time).")
    TimeWindows runHours;

    @Option(names = "--max-download-kbps", converter = Bounded.NonNegativeLong.class, defaultValue = "0", paramLabel = "KIB_PER_S",
            description = "Cap on bundle downloads for this node's jobs, in KiB/s (default: none).")
    long maxDownloadKBps;

    @Option(names = "--bundle-cache-mb", converter = Bounded.NonNegativeLong.class, defaultValue = "1024", description = "Cap on the cache of bundles served to peers (default ${DEFAULT-VALUE}).", paramLabel = "MIB")
    long bundleCacheMb;

    @Option(names = "--work-mb", converter = Bounded.NonNegativeLong.class, defaultValue = "2048", description = "Cap on kept job logs (default ${DEFAULT-VALUE}).", paramLabel = "MIB")
    long workMb;

    @Option(names = "--repo-mb", converter = Bounded.NonNegativeLong.class, defaultValue = "4096",
            description = {"Budget of the node's git repository (default ${DEFAULT-VALUE}): past it, commits held only to " +
                "relay (then those kept for neighbours) are given up, oldest first; half of it at most keeps neighbours' commits."}, paramLabel = "MIB")
    long repoMb;

    @Option(names = "--prefetch", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "Claim and fetch each slot's next unit while its job runs (default ${DEFAULT-VALUE}).", paramLabel = "true|false")
    boolean prefetch;

    @Option(names = "--no-sandbox", arity = "0..1", description = {"Run jobs as plain processes of this user, without the sandbox. DANGEROUS: " +
                "a job can then read this node's key and your files, use the network, and leave processes behind."}, paramLabel = "true|false")
    boolean noSandbox;

    @Option(names = "--json", description = "Once it runs, print one JSON line: node_id (its key, hex), data_dir, coordinator, "
            + "host and peer_port (where it listens), announced (HOST:PORT where peers dial it: --announce, or host and "
            + "peer_port), metrics_port (null: off), control_socket, pid. A refusal at start "
            + "(a flag, a key of node.properties: `option`) is the error object {error, message, hint, option}.")
    boolean json;

    /**
     * {@code -Drhizome.test.jobs-at-callers-priority=true}: this node's jobs run at its own priority,
     * not a volunteer's ({@link BwrapLauncher#atCallersPriority}). Only for the tests that start
     * {@code rhizome node} as a process to kill it (`LostAnswerKillTest`), as {@code
     * protocol.CrashPoints} is: on a machine at load 20 their jobs, at nice 19, waited minutes for a
     * core (a unit resumed after the kill was not done in 4 minutes), and what those tests assert
     * does not depend on a job's niceness. Unset always outside them; no flag or file a volunteer
     * writes chooses it.
     */
    static final String JOBS_AT_CALLERS_PRIORITY = "rhizome.test.jobs-at-callers-priority";

    static final String NO_SANDBOX_WARNING = """
            WARNING: --no-sandbox: jobs will run as plain processes of this user. Code written by strangers will be able to
              - read this node's private key (identity.key) and sign results in its name,
              - read and change every file this user can, including your home directory,
              - use the network, and see every process on this machine with its command line,
              - exhaust memory and processes, and leave processes running after the job ends.
            Use it only on a throwaway machine, or with seeds and proposers you trust completely.""";

    @Override
    public Integer call() throws Exception {
        // a node's normal end is SIGTERM or Ctrl-C (its shutdown hook closes it): not an interruption
        Interrupts.quiet();
        Path file = config != null ? config : new NodeLayout(dataDir.path()).preferences();
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int self = original.indexOf(spec.name()); // the original args start with the parent command's
        NodeCommand merged = withFile(file, original.subList(self + 1, original.size()));
        merged.coordinatorSetBy = coordinator.typed() ? "--coordinator"
                : setsCoordinator(file) ? "the key coordinator in " + file : coordinator.source();
        return merged.runNode();
    }

    /** What set the coordinator's URL, for the line that says it cannot be reached. */
    private String coordinatorSetBy = "--coordinator";

    private static boolean setsCoordinator(Path file) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            props.load(in);
        }
        return props.containsKey("coordinator");
    }

    /**
     * `rhizome node ARGS` as it runs: the preferences file's options, then {@code args} on top of
     * them, parsed with picocli's own rules, so a value reads and is refused the same from either.
     * `node doctor` counts its slots through this too, so the two cannot disagree on a file.
     */
    static NodeCommand withFile(Path file, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(Files.exists(file) ? optionsFrom(file) : List.of());
        all.addAll(args);
        NodeCommand merged = new NodeCommand();
        CommandLine cl = new CommandLine(merged).setOverwrittenOptionsAllowed(true);
        try {
            cl.parseArgs(all.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw refused(file, e);
        }
        return merged;
    }

    /** A value or key of the file refused: named as the option, as the command line's would be, after the file. */
    private static CommandException refused(Path file, CommandLine.ParameterException e) {
        String bad = BadValue.messageOf(e);  // the same words as on the command line
        if (bad != null) {
            return CommandException.usage(((CommandLine.Model.OptionSpec) e.getArgSpec()).longestName(), file + ": " + bad, "");
        }
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && u.getUnmatched().get(0).startsWith("--")) {
            // picocli's "Unknown option: '--nosuch=1'" named a flag nobody typed
            String option = u.getUnmatched().get(0).split("=", 2)[0];
            List<String> keys = e.getCommandLine().getCommandSpec().options().stream().map(o -> o.longestName())
                    .filter(n -> n.startsWith("--")).map(n -> n.substring(2)).toList();
            return CommandException.usage(option, file + ": unknown key '" + option.substring(2)
                    + "' (its keys are `rhizome node`'s options without the dashes, e.g. cpu-jobs=2)",
                    Suggestions.hint(option.substring(2), keys, "see `rhizome node --help` for the options"));
        }
        String option = e.getArgSpec() instanceof CommandLine.Model.OptionSpec o ? o.longestName() : null;
        return CommandException.usage(option, file + ": " + e.getMessage(), "");
    }

    /** The preferences these options make; what they refuse was refused while parsing. */
    NodePreferences preferences() {
        return new NodePreferences(NodeValues.Gpus.indices(gpus), gpus.equals("none"), cpuJobs == null ? -1 : cpuJobs,
                idleOnly, idleMinutes, idleMaxLoad, runHours == null ? TimeWindows.ANY_TIME : runHours, maxDownloadKBps,
                bundleCacheMb, workMb, prefetch, repoMb);
    }

    /** Each key of the file as the option of the same name. */
    private static List<String> optionsFrom(Path file) throws IOException {
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            props.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandException(ExitCodes.USAGE, "cannot read preferences file " + file + ": " + Problems.describe(e));
        }
        List<String> args = new ArrayList<>();
        for (String key : new TreeSet<>(props.stringPropertyNames())) {
            if (key.equals("config")) {
                throw CommandException.usage("--config", file + ": 'config' cannot be set in a preferences file",
                        "name the file with --config on the command line; remove the key from the file");
            }
            args.add("--" + key + "=" + props.getProperty(key).strip());
        }
        return args;
    }

    private int runNode() throws Exception {
        // before the node starts, so a typo is one line rather than a started node that stops
        URI coordinatorUri = coordinator.uri();
        if (host == null) {
            host = AnnouncedHost.towards(coordinatorUri);
        }
        if (announce == null && !dialable(host)) {
            // the coordinator refuses such an announcement, and a peer dialling it would reach itself
            throw CommandException.usage("--host", "--host is the address peers dial, so it must be one of "
                    + "this machine's own, not " + host, "give this machine's address on the network its peers share "
                    + "(127.0.0.1 when they all run here)");
        }
        if (announce == null || dialable(host)) {
            OwnAddress.problem(host).ifPresent(why -> {
                throw CommandException.usage("--host", why, "give one of this machine's addresses (`ip -brief address` "
                        + "lists them; 127.0.0.1 when its peers all run here), or leave --host out for the one on the "
                        + "route to the coordinator");
            });
        }
        // what the coordinator and peers judge is the address they are told, which --announce replaces
        AnnouncedHost.narrowerThanCoordinator(announce != null ? announce.host() : host, coordinatorUri)
                .ifPresent(System.err::println);
        if (announce != null && peerPort == 0) {
            System.err.println("warning: --announce " + announce + " with --peer-port 0: the node listens on a port "
                    + "the system picks, which a forward set up in advance cannot name; give --peer-port the port "
                    + "the router or container forwards " + announce.port() + " to");
        }
        if (peerPort < 0 || peerPort > 65535) {
            throw BadValue.of("--peer-port", Integer.toString(peerPort), "a port from 0 to 65535 (0: any free one)", "");
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw BadValue.of("--metrics-port", Integer.toString(metricsPort), "0 (off) or a port from 1 to 65535", "");
        }
        // The data directory's lock before anything else (the sandbox's trial job takes seconds, the
        // direction check a request): a second node on a directory in use is refused at once, naming
        // the pid that holds it, rather than after its trial.
        boolean madeHere = !Files.exists(dataDir.path());
        ProcessLock owner = NodeDaemon.lockDataDir(dataDir.path());
        NodeDaemon daemon;
        try {
            daemon = startOn(owner);
        } catch (Exception | Error e) {
            owner.close();  // a daemon that failed its start closed it itself: closing twice is harmless
            if (madeHere) {
                removeIfOnlyItsLock(dataDir.path());
            }
            throw e;
        }
        if (json) {
            new Output(System.out).json(ready(daemon));
            System.out.flush();
        }
        Thread hook = new Thread(() -> {
            try {
                daemon.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "node-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // the stop's classes, read now: an upgrade in place rewrites the jar under us (StopClasses)
        StopClasses.preload(NodeCommand.class, StopClasses.NODE);
        daemon.join();
        try {
            // The loop ended by itself (--max-units, or a --direction its first claim found unknown):
            // close here rather than at exit.
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return ExitCodes.OK; // SIGTERM or Ctrl-C: the hook is closing the node
        }
        daemon.close();
        if (daemon.directionRefused().isPresent()) {
            throw unknownDirection();
        }
        return ExitCodes.OK;
    }

    /** Starts the node on the data directory whose lock {@code owner} is; the daemon owns it from here. */
    /**
     * A directory this command made for its lock and a start refused before writing anything else
     * (a data directory every job would see, say) goes again: the refusal leaves nothing behind.
     */
    private static void removeIfOnlyItsLock(Path dir) {
        NodeLayout layout = new NodeLayout(dir);
        Path lock = layout.ownerLock();
        try (var entries = Files.list(dir)) {
            if (entries.allMatch(p -> p.equals(lock) || p.equals(layout.pauseLock()))) {
                Files.deleteIfExists(layout.pauseLock());
                Files.deleteIfExists(lock);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            // left as it is: an empty directory, said nowhere, is all it costs
        }
    }

    private NodeDaemon startOn(ProcessLock owner) throws Exception {
        boolean directionChecked = direction == null || requireKnownDirection();
        NodePreferences prefs = preferences();
        boolean serveOnly = slots(prefs) == 0;
        NodeConfig config = NodeConfig.defaults(dataDir.path(), coordinator.url())
                .withPeerAddress(host, peerPort)
                .withAnnounce(announce)
                .withExplore(explore)
                .withDirection(direction)
                .withMaxUnits(Math.max(0, maxUnits))
                .withPreferences(prefs)
                .withMetricsPort(metricsPort == 0 ? -1 : metricsPort)
                .withCoordinatorSetBy(coordinatorSetBy);
        if (!directionChecked) {
            config = config.withDirectionToCheck(direction);
        }
        ProcessLauncher launcher;
        if (serveOnly) {
            // no job will ever start: a volunteer who only seeds bundles needs no bubblewrap
            System.err.println("serve-only: no GPU chosen and --cpu-jobs 0, so this node runs no jobs; it serves "
                    + "the bundles it holds to peers");
            launcher = new PlainLauncher();
        } else if (noSandbox) {
            System.err.println(NO_SANDBOX_WARNING);
            launcher = new PlainLauncher();
        } else {
            try {
                BwrapLauncher sandbox = SandboxProbe.launcher();
                System.err.println("jobs run sandboxed: " + sandbox.plan().summary());
                launcher = Boolean.getBoolean(JOBS_AT_CALLERS_PRIORITY) ? sandbox.atCallersPriority() : sandbox;
            } catch (SandboxUnavailableException e) {
                // the generic "fix what the message names" hint, where the next steps are known
                throw new CommandException(ExitCodes.FAILED, "failed", e.getMessage(), SandboxUnavailableException.NEXT_STEP);
            }
        }
        try {
            return NodeDaemon.start(config, launcher, owner);
        } catch (NodeDaemon.DataDirRefused e) {
            // the one value the daemon refuses itself: a data directory every job would see (any other
            // IllegalArgumentException was named --data-dir too, whatever it was about)
            throw CommandException.usage("--data-dir", e.getMessage(), "");
        }
    }

    /**
     * How many slots the node will run: a serve-only node (none) starts without a sandbox, and a
     * {@code --gpus} naming a GPU this machine lacks is refused as that option (the daemon's own
     * refusal came out named {@code --data-dir}, the one value it used to refuse); `node doctor`
     * refuses it the same way (it was the unforeseen-failure line there, exit 1).
     */
    static int slots(NodePreferences prefs) {
        try {
            return SlotPlan.of(HardwareProbe.probe(), prefs).size();
        } catch (SlotPlan.NoSuchGpu e) {
            throw CommandException.usage("--gpus", e.getMessage(), "`nvidia-smi -L` lists this machine's GPUs by "
                    + "index; pass --gpus all, none, or indices from that list");
        }
    }

    /** {@code unknown_direction} for {@code --direction}, listing the coordinator's directions when it still answers. */
    private CommandException unknownDirection() {
        try {
            List<String> known = Coordinators.client(coordinator, dataDir).directions().getDirectionsList().stream()
                    .map(d -> d.getDirection().getName()).toList();
            return Coordinators.unknownDirection("--direction", direction, known, FollowUp.of(coordinator, dataDir));
        } catch (CoordinatorException e) {
            return Coordinators.unknownDirection("--direction", direction, List.of(), FollowUp.of(coordinator, dataDir));
        }
    }

    /**
     * `node --direction` names a direction the coordinator has, or the node stops at once with
     * {@code unknown_direction} naming the option, as every command's --direction does: it was
     * checked only by each claim, which the coordinator refused for ever while the node ran,
     * and the volunteer heard of it only in WARN lines naming no option. Where the coordinator
     * does not answer yet, a WARN line says the check is left to the node's first claim that
     * reaches it (see {@code WorkLoop#checkDirectionAtFirstClaim}); returns whether it was checked.
     */
    private boolean requireKnownDirection() {
        try {
            Coordinators.direction(Coordinators.client(coordinator, dataDir), direction, FollowUp.of(coordinator, dataDir));
            return true;
        } catch (CoordinatorException e) {
            if (e.isRefusal()) {
                throw Coordinators.failure(e, FollowUp.of(coordinator, dataDir));
            }
            // said at start, since the volunteer is watching then: the node does not stop here
            // asked for here, not held in a static field: picocli makes every command at start, and
            // a static logger made every `rhizome` command (`--version` too) load and configure
            // logback, 600 classes of its start (docs/performance.md, "A command's start")
            Logger log = LoggerFactory.getLogger(NodeCommand.class);
            log.warn("--direction {} is not checked yet: the coordinator at {} does not answer ({}); the node "
                    + "starts, and its first claim that reaches the coordinator checks it (an unknown direction "
                    + "stops the node then, naming --direction)", direction, coordinator.url() + " (set by "
                    + coordinatorSetBy + ")", e.getMessage());
            return false;
        }
    }

    /** What a script that started the node needs next: its key, where peers and `node status` reach it. */
    private JsonObject ready(NodeDaemon daemon) {
        JsonObject o = new JsonObject();
        o.addProperty("node_id", daemon.identity().publicId().toString());
        o.addProperty("data_dir", dataDir.path().toString());
        o.addProperty("coordinator", coordinator.url());
        o.addProperty("host", host);
        o.addProperty("peer_port", daemon.peerPort());
        o.addProperty("announced", daemon.announcedAddress());
        o.addProperty("metrics_port", daemon.metricsPort().isPresent() ? daemon.metricsPort().getAsInt() : null);
        o.addProperty("control_socket", daemon.controlSocket().toString());
        o.addProperty("pid", ProcessHandle.current().pid());
        return o;
    }

    /** Sends one request to the node running on the data directory and prints its answer. */
    abstract static class Control implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;

        abstract String request();

        /** Whether --json was given: each command declares its own, since each answers other keys. */
        abstract boolean json();

        /** What this command adds to the node's answer before it is printed (nothing, but for status). */
        void addTo(JsonObject answer) {
        }

        /**
         * The answer this command gives itself when no node runs on the data directory (pause and
         * resume change the kept pause its next start reads), or empty: then it fails {@code no_node}.
         */
        Optional<JsonObject> withoutNode() {
            return Optional.empty();
        }

        @Override
        public Integer call() {
            String answer;
            Path socket = new NodeLayout(dataDir.path()).controlSocket();
            long deadline = System.nanoTime() + ControlClient.PATIENCE.toNanos();
            while (true) {
                try {
                    answer = ControlClient.requestAskingAgain(socket, request(), ControlClient.REFUSED_PATIENCE);
                    break;
                } catch (ControlClient.NotAnswering e) {
                    throw notAnswering(dataDir.path(), request(), e);
                } catch (ControlClient.StillRefusing e) {
                    throw stillRefusing(dataDir.path(), request(), e);
                } catch (IOException e) {
                    Optional<JsonObject> own = answerWithoutNode(socket, e, deadline);
                    if (own.isPresent()) {
                        return print(own.get());
                    }
                    // a node holds the data directory's kept pause, its socket not answering yet: asked again
                    sleepBeforeAskingAgain();
                }
            }
            JsonObject parsed = answerOf(answer);
            if (parsed.has("error")) {
                throw new CommandException(ExitCodes.FAILED, "failed", "the node on " + dataDir.path() + " refused: "
                        + parsed.get("error").getAsString(), NODE_LOG_HINT);
            }
            return print(parsed);
        }

        /**
         * The answer with no node to give it (this command's own, else the no_node error), or empty
         * where a node starting or stopping holds the kept pause and the time left lets it be asked again.
         */
        private Optional<JsonObject> answerWithoutNode(Path socket, IOException e, long deadline) {
            // the same error name as submit's: no node runs on this data directory
            boolean noNode = !Files.exists(socket) || e instanceof ConnectException
                    || e.getCause() instanceof ConnectException;
            Optional<JsonObject> own;
            try {
                own = noNode ? withoutNode() : Optional.empty();
            } catch (OfflinePause.NodeHolds holds) {
                if (System.nanoTime() - deadline < 0) {
                    return Optional.empty();
                }
                throw new CommandException(ExitCodes.FAILED, "node_not_answering", "a node holds " + dataDir.path()
                        + " (starting or stopping) and its control socket did not answer '" + request() + "' within "
                        + ControlClient.PATIENCE.toSeconds() + " s", "run the command again once the node has "
                        + "started (`rhizome node status --data-dir " + Shell.quote(dataDir.path()) + "`) or stopped");
            }
            if (own.isPresent()) {
                return own;
            }
            throw new CommandException(ExitCodes.FAILED, noNode ? "no_node" : "failed",
                    noNode && Files.exists(socket) ? "no node is running on " + dataDir.path()
                            + " (its control socket " + socket + " is left from one that stopped)" : e.getMessage(),
                    noNode ? "start one with `rhizome node --data-dir " + Shell.quote(dataDir.path())
                            + "`, or pass the --data-dir of the node you mean" : "");
        }

        private static void sleepBeforeAskingAgain() {
            try {
                Thread.sleep(100);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new CommandException(ExitCodes.FAILED, "failed", "interrupted", "");
            }
        }

        private int print(JsonObject parsed) {
            addTo(parsed);
            boolean json = json();
            if (json && parsed.has("node") && !parsed.has("node_id")) {
                // the node's `node` is hex already; `node_id` is the name every other answer gives a node's key
                parsed.add("node_id", parsed.get("node"));
            }
            if (json) {
                new Output(System.out).json(parsed);  // through Output: absent values null, as every answer
            } else {
                System.out.println(NodeStatusText.render(parsed));
            }
            return ExitCodes.OK;
        }
    }

    /**
     * A node whose socket took the request and never answered: stopped (SIGSTOP, a debugger, a
     * suspended terminal job) or wedged. Its pid is in the data directory's owner lock.
     */
    static CommandException notAnswering(Path dataDir, String request, ControlClient.NotAnswering e) {
        String pid = "";
        try {
            String text = Files.readString(new NodeLayout(dataDir).ownerLock()).trim();
            pid = text.matches("\\d{1,10}") ? text : "";
        } catch (IOException ignored) {
            // no pid to name: the hint names the process by its data directory
        }
        String process = pid.isEmpty() ? "the node's process" : "its process " + pid;
        return new CommandException(ExitCodes.FAILED, "node_not_answering", "the node on " + dataDir
                + " took '" + request + "' but did not answer within " + e.patience().toSeconds() + " s",
                "it is stopped or stuck: if stopped (Ctrl-Z, `kill -STOP`, a debugger), resume it with `kill -CONT "
                        + (pid.isEmpty() ? "<pid>" : pid) + "`; otherwise its log says what it waits on (its standard "
                        + "error, or `journalctl -u rhizome-node` under systemd), and restarting " + process
                        + " ends it (`rhizome node --data-dir " + Shell.quote(dataDir) + "`)");
    }

    /**
     * A node that answered busy (its control requests all taken) or stopping to every ask for
     * {@link ControlClient#REFUSED_PATIENCE}: {@code node_busy} or {@code node_stopping}, exit 1.
     */
    static CommandException stillRefusing(Path dataDir, String request, ControlClient.StillRefusing e) {
        boolean stopping = e.refusal().code().equals(ControlServer.STOPPING_CODE);
        return new CommandException(ExitCodes.FAILED, stopping ? "node_stopping" : "node_busy", "the node on " + dataDir
                + " refused '" + request + "' " + e.asked() + " times in " + ControlClient.REFUSED_PATIENCE.toSeconds()
                + " s: " + e.refusal().error(), stopping
                ? "it is stopping: run the command again once it has stopped (an offline `node pause` or `node resume` "
                        + "is kept for its next start)"
                : "something keeps its control socket busy (a script sending requests in a loop?): stop it, or run "
                        + "the command again in a minute");
    }

    private static final String NODE_LOG_HINT = "the node's log says more (its standard error, or `journalctl -u "
            + "rhizome-node` under systemd); if it keeps failing, restart it";

    /** The node's answer as an object; one that is not (a node that closed without answering) is told as such. */
    static JsonObject answerOf(String answer) {
        try {
            JsonElement parsed = JsonParser.parseString(answer);
            if (parsed.isJsonObject()) {
                return parsed.getAsJsonObject();
            }
        } catch (JsonParseException e) {
            // told below, with what came
        }
        throw new CommandException(ExitCodes.FAILED, "failed", answer.isEmpty()
                ? "the node closed its control connection without an answer"
                : "the node's answer is not a JSON object: " + (answer.length() > 200 ? answer.substring(0, 200) + "..." : answer),
                NODE_LOG_HINT);
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show the running node's slots (idle and why, or the job with its progress), queued units and",
                "what it did since it started, and the lasting credit the coordinator keeps for its key (asked with a",
                "short timeout: when the coordinator does not answer, status says so and shows the node's own counts).",
                "A node that takes the request and does not answer within 15 s (stopped by Ctrl-Z or `kill -STOP`, or",
                "stuck) ends it with error node_not_answering, whose hint names the node's pid. A node that answers busy",
                "(or stopping) is asked again for up to 15 s, then the command ends with error node_busy (node_stopping), exit 1."})
    static final class Status extends Control {
        @Option(names = "--json", description = "Print the node's JSON answer: node and node_id (its key, hex), pid (the node's process: `kill PID` stops it), paused, paused_since_ms (when the pause began: it is kept across restarts; null while not paused, -1 where not known), gate, slots (name, hardware_class, gpu_index, state: claiming, fetching, running, reporting or why it waits, job, next, jobs_run, prefetched_runs, lease: unit, deadline_ms and renewals of the evaluation it fetches or runs, its lease renewed while it works, null when none and for a unit given back; fetch: commit, started_ms, unit and given_back_unit of the commit it fetches, unit null and given_back_unit set once that unit was given back because the download outlasted its job's limit (the download goes on), null when none; cpus: the CPUs the slot's jobs are held to, as the kernel lists them, e.g. 0-3, null where they may use every CPU the node may), queued, credit (this run's counts, from zero at each start: results_reported, experiments_proposed, jobs_run, outbox_pending, receipts_unkept: results, since_ms and problem of the results the coordinator stored whose receipts the node could not write, null when none; the credit that lasts is the coordinator's, `rhizome leaderboard --volunteers`), disk, peers (announced, reachable, reason: whether peers can fetch from the node at the address it announces, and why not; bundle_readers_blocked: its reads of bundle files for peers blocked on the disk, 0 when none), "
                + "coordinator (the URL the node works for), coordinator_credit (the credit the coordinator keeps for the node's key across "
                + "restarts, asked with a 3 s timeout: credit_seconds, valid, invalid, errors, trusted; null when it did not answer) and "
                + "coordinator_credit_problem (why coordinator_credit is null, else null), and failures (this run's jobs that "
                + "measured nothing, one entry per outcome, most frequent first: outcome (TIMEOUT, CRASH, REFUSED, UNFETCHABLE, or MACHINE_BUSY: a job this machine kept off a CPU "
                + "until twice its limit, not reported, its unit issued again), "
                + "count, last_reason, last_unit, last_seed, last_runtime_ms, last_time_ms of the latest, and advice: what to "
                + "do about it, e.g. fewer jobs at once for jobs timing out on a busy machine), busy (null unless the CPU slots back "
                + "off after a job was kept off a CPU: cpu_jobs, allowed, claiming, since_ms, waiting_for, reason, resource \"cpu\"), "
                + "busy_slots (every back-off in force, the CPU slots' and each GPU slot's, with the same keys, resource "
                + "naming the slot: empty when none), and preferences (what it "
                + "runs with, from the command line and node.properties: gpus, cpu_jobs, idle_only, idle_minutes, "
                + "idle_max_load, run_hours, max_download_kbps (0: no cap), bundle_cache_mb, work_mb, repo_mb, prefetch).")
        boolean json;

        @Override
        String request() {
            return "status";
        }

        @Override
        void addTo(JsonObject answer) {
            if (answer.has("slots")) {
                CoordinatorCredit.add(answer, dataDir.path());
                FailureAdvice.addTo(answer);
            }
        }

        @Override
        boolean json() {
            return json;
        }
    }

    /**
     * Pause and resume: the running node's request, or with no node running, the kept pause changed
     * in the data directory for its next start.
     */
    abstract static class KeptPauseChange extends Control {
        private final boolean pausing;

        KeptPauseChange(boolean pausing) {
            this.pausing = pausing;
        }

        @Override
        String request() {
            return pausing ? "pause" : "resume";
        }

        @Override
        Optional<JsonObject> withoutNode() {
            return OfflinePause.change(dataDir.path(), pausing);
        }

        @Override
        void addTo(JsonObject answer) {
            OfflinePause.markRunning(answer);
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = {"Start no new jobs (running jobs finish; evaluations held but not started are given back to the coordinator,",
                "explorations kept). The pause is kept in the data directory: a restarted node stays paused until `rhizome node resume`.",
                "With no node running on a data directory a node has used, it only keeps the pause: the node's next start begins paused.",
                "A node that answers busy (or stopping) is asked again for up to 15 s, then error node_busy (node_stopping)."})
    static final class Pause extends KeptPauseChange {
        // it printed status's whole list of keys, though the answer is these
        @Option(names = "--json", description = "Print one JSON object: node and node_id (the node's key, hex), paused (true), "
                + "kept (whether a restart of the node stays paused: false where the data directory could not be written), "
                + "problem (why not kept, else null), running (false where no node was running: the pause was only kept, "
                + "and the node's next start begins paused).")
        boolean json;

        Pause() {
            super(true);
        }

        @Override
        boolean json() {
            return json;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = {"Start jobs again after a pause (a restart no longer pauses the node).",
                "With no node running, it only removes the kept pause: the node's next start claims work.",
                "A node that answers busy (or stopping) is asked again for up to 15 s, then error node_busy (node_stopping)."})
    static final class Resume extends KeptPauseChange {
        @Option(names = "--json", description = "Print one JSON object: node and node_id (the node's key, hex), paused (false), "
                + "kept (false where the kept pause could not be removed: a restart would pause the node again), problem "
                + "(why, else null), running (false where no node was running: the kept pause was only removed, and the "
                + "node's next start claims work).")
        boolean json;

        Resume() {
            super(false);
        }

        @Override
        boolean json() {
            return json;
        }
    }

    /** Not a wildcard, multicast or broadcast literal: names are left to the coordinator's rules and the bind. */
    static boolean dialable(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equals("255.255.255.255")) {
            return false;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return true; // a name: resolving it here could wait on DNS
        }
        try {
            InetAddress a = InetAddress.getByName(h);
            return !a.isAnyLocalAddress() && !a.isMulticastAddress();
        } catch (UnknownHostException e) {
            return true; // not a literal after all: the bind will say
        }
    }
}
