package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.protocol.CommitId;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "direction", mixinStandardHelpOptions = true, description = "Open, close and list research directions; queue a waiting direction's trials again.",
        subcommands = {DirectionCommand.Open.class, DirectionCommand.Close.class, DirectionCommand.Requeue.class,
                DirectionCommand.ListDirections.class})
public final class DirectionCommand {

    @Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome direction open --seed tiny-lm --name lr --knobs learning_rate",
            "  # from any experiment's commit",
            "  rhizome direction open --seed tiny-lm --name lr-warm --base COMMIT"},
        name = "open", mixinStandardHelpOptions = true,
            description = "Open a direction on a seed, from the seed's commit or any experiment's commit.")
    public static final class Open implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;
        @Mixin
        CoordinatorOption coordinator;
        @Option(names = "--seed", required = true, description = "Seed name.", paramLabel = "SEED")
        String seed;
        @Option(names = "--name", required = true, description = "Direction name: 1-64 ASCII letters, digits, - and _.", paramLabel = "NAME")
        String name;
        @Option(names = "--base", description = "Commit to start from (default: the seed's commit).", paramLabel = "COMMIT")
        String base;
        @Option(names = "--knobs", split = ",", description = "Manifest knobs the built-in explorer varies here (default: all).", paramLabel = "KNOB")
        List<String> knobs = List.of();
        @Option(names = "--description", defaultValue = "", description = "What this direction is about.", paramLabel = "TEXT")
        String description;
        @Option(names = "--json", description = "Print one JSON object: direction, base_commit, already_open (true: "
                + "it was open already, as asked; one open with other knobs or description is a conflict, exit 4).")
        boolean json;

        @Override
        public Integer call() {
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,63}")) {
                // "letters" read as any letter: a name like "lérning" was refused without saying why
                throw BadValue.of("--name", name, "1-64 ASCII letters (a-z, A-Z), digits, '-' or '_', starting with a "
                        + "letter or digit", "e.g. --name lr-warmup");
            }
            CoordinatorClient client = Coordinators.client(coordinator, dataDir);
            try {
                List<Seed> seeds = client.seeds().getSeedsList();
                Seed s = seeds.stream().filter(x -> x.getName().equals(seed)).findFirst()
                        .orElseThrow(() -> Coordinators.unknownSeed(seed, seeds.stream().map(Seed::getName).toList(),
                                FollowUp.of(coordinator, dataDir)));
                List<String> known = s.getManifest().getKnobsList().stream().map(k -> k.getName()).toList();
                for (String knob : knobs) {
                    if (!known.contains(knob)) {
                        // the explorer would otherwise vary nothing on this direction, silently
                        throw known.isEmpty() ? BadValue.of("--knobs", knob, "no knob: seed " + seed + " has none",
                                "leave --knobs out: this seed has no knobs")
                                : BadValue.choice("--knobs", knob, "a knob of seed " + seed, known,
                                        "name knobs from that list, comma-separated, or leave --knobs out");
                    }
                }
                String baseCommit = base != null ? base : s.getCommit();
                if (!CommitId.isValid(baseCommit)) {
                    throw BadValue.of("--base", baseCommit, "a commit id of 40 hex digits", "copy the full commit from `"
                            + FollowUp.of(coordinator, dataDir).command("tree --direction "
                                    + Shell.quote(ImpliedDirection.forHint(null, client)) + " --json")
                            + "`, or leave --base out (the seed's commit)");
                }
                // the coordinator acknowledges a second open of the same direction, keeping what the first
                // said: answered "opened", an agent took knobs or a description it changed as applied
                Direction open = client.directions().getDirectionsList().stream().map(DirectionStatus::getDirection)
                        .filter(d -> d.getName().equals(name) && d.getSeed().equals(seed)
                                && d.getBaseCommit().equals(baseCommit)).findFirst().orElse(null);
                if (open != null && ((!knobs.isEmpty() && !knobs.equals(open.getKnobsList()))
                        || (!description.isEmpty() && !description.equals(open.getDescription())))) {
                    throw new CommandException(ExitCodes.REFUSED, "conflict", "direction " + name + " is already open "
                            + "on " + seed + " from " + baseCommit + ", with knobs " + (open.getKnobsCount() == 0 ? "(all)"
                                    : String.join(",", open.getKnobsList())) + ": a second open changes neither its knobs "
                            + "nor its description", "open one under another --name with these knobs (a direction "
                                    + "may start from any commit: --base), or leave --knobs and --description out", "--name");
                }
                client.openDirection(Direction.newBuilder()
                        .setName(name).setSeed(seed).setBaseCommit(baseCommit).setDescription(description)
                        .addAllKnobs(knobs)
                        .setOpenedBy(client.identity().publicId().toByteString())
                        .setOpenedMs(System.currentTimeMillis())
                        .build());
                Output out = new Output(System.out);
                if (json) {
                    JsonObject o = new JsonObject();
                    o.addProperty("direction", name);
                    o.addProperty("base_commit", baseCommit);
                    o.addProperty("already_open", open != null);
                    out.json(o);
                } else {
                    out.line((open != null ? "direction " + name + " was already open" : "opened direction " + name)
                            + " on " + seed + " from " + baseCommit);
                }
                return ExitCodes.OK;
            } catch (CoordinatorException e) {
                if (e.isRefusal() && e.code() == Error.Code.NOT_FOUND && base != null) {
                    // the seed is there (checked above): what was not found is --base's commit
                    throw Research.unknownCommit("--base", null, base, FollowUp.of(coordinator, dataDir));
                }
                throw Coordinators.failure(e, FollowUp.of(coordinator, dataDir));
            }
        }
    }

    @Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome direction close --name lr --reason \"converged; see its papers\""},
        name = "close", mixinStandardHelpOptions = true,
            description = "Close a direction (operators only): it hands out no more work and takes no more experiments.")
    public static final class Close implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;
        @Mixin
        CoordinatorOption coordinator;
        @Option(names = "--name", required = true, description = "Direction name.", paramLabel = "NAME")
        String name;
        @Option(names = "--reason", defaultValue = "", description = "Why, shown to whoever asks for its work.", paramLabel = "TEXT")
        String reason;
        @Option(names = "--json", description = "Print one JSON object: direction, message.")
        boolean json;

        @Override
        public Integer call() {
            CoordinatorClient client = Coordinators.client(coordinator, dataDir);
            try {
                var ack = client.closeDirection(DirectionClosure.newBuilder()
                        .setName(name).setReason(reason)
                        .setClosedBy(client.identity().publicId().toByteString())
                        .setClosedMs(System.currentTimeMillis()).build());
                printAck(name, ack.getMessage(), json);
                return ExitCodes.OK;
            } catch (CoordinatorException e) {
                // an unknown --name lists the directions there are and the nearest, as every other
                // command's unknown direction does (it was the coordinator's raw "404 NOT_FOUND")
                throw Coordinators.failure(e, client, name, "--name", FollowUp.of(coordinator, dataDir));
            }
        }
    }

    @Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome direction requeue --name lr --reason \"banned the made-up class keys\"",
            "  # a candidate's trials rather than the frontier's",
            "  rhizome direction requeue --name lr --commit COMMIT --json"},
        name = "requeue", mixinStandardHelpOptions = true,
            description = {"Queue again (operators only) the trials of a direction's commit whose requeues are spent: "
                    + "queued again 3 times for the class the direction compares in and decided in another class each "
                    + "time, so the coordinator queues nothing more and the direction waits (`direction list` says "
                    + "\"requeues spent\"). Each such trial gets one more set of replicas, ahead of other work. Ban the "
                    + "keys that took them first (`rhizome ban`). Refused (exit 4) where nothing is spent: a trial the "
                    + "coordinator still queues itself, replicas still pending, or one decided in the direction's class."})
    public static final class Requeue implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;
        @Mixin
        CoordinatorOption coordinator;
        @Option(names = "--name", required = true, description = "Direction name.", paramLabel = "NAME")
        String name;
        @Option(names = "--commit", defaultValue = "", description = "The commit whose trials to queue again: its "
                + "base, frontier or one of its experiments (default: the frontier, the base while not measured).",
                paramLabel = "COMMIT")
        String commit;
        @Option(names = "--reason", defaultValue = "", description = "Why, kept with the order.", paramLabel = "TEXT")
        String reason;
        @Option(names = "--json", description = "Print one JSON object: direction, message.")
        boolean json;

        @Override
        public Integer call() {
            if (!commit.isEmpty() && !CommitId.isValid(commit)) {
                throw BadValue.of("--commit", commit, "a commit id of 40 hex digits", "copy the full commit from `"
                        + FollowUp.of(coordinator, dataDir).command("tree --direction " + Shell.quote(name) + " --json")
                        + "`, or leave --commit out (the direction's frontier)");
            }
            CoordinatorClient client = Coordinators.client(coordinator, dataDir);
            try {
                var ack = client.requeueTrials(TrialRequeueOrder.newBuilder()
                        .setName(name).setCommit(commit).setReason(reason)
                        .setRequeuedBy(client.identity().publicId().toByteString())
                        .setRequeuedMs(System.currentTimeMillis()).build());
                printAck(name, ack.getMessage(), json);
                return ExitCodes.OK;
            } catch (CoordinatorException e) {
                throw Coordinators.failure(e, client, name, "--name", FollowUp.of(coordinator, dataDir));
            }
        }
    }

    /** An operator's action acknowledged: {@code direction, message} (--json), or one line. */
    private static void printAck(String direction, String message, boolean json) {
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("direction", direction);
            o.addProperty("message", message);
            out.json(o);
        } else {
            out.line(direction + ": " + message);
        }
    }

    /**
     * Why a direction's base waits, as lines under its row: the table's "-" alone read as "not run
     * yet", and only --json said a made-up class's keys had taken its replicas, or that only an
     * operator can move it on.
     */
    static List<String> waiting(DirectionStatus d) {
        return waiting(d, FollowUp.BARE);
    }

    /** {@link #waiting(DirectionStatus)}, the command naming {@code where}'s --data-dir and --coordinator. */
    static List<String> waiting(DirectionStatus d, FollowUp where) {
        List<String> lines = new java.util.ArrayList<>();
        if (!d.getNotMeasuredReason().isEmpty()) {
            lines.add("  not measured: " + d.getNotMeasuredReason());
        }
        if (d.getRequeuesSpent()) {
            lines.add("  requeues spent: nothing more is queued by itself; an operator may queue its trials again: "
                    + Coordinators.requeueCommand(d.getDirection().getName(), where));
        }
        lines.addAll(operatorRequeues(d));
        return lines;
    }

    /**
     * Each operator's order that queued the direction's trials again, newest first, as lines: who,
     * when, which commit's trials at which seeds, why. Shown where the requeues are counted, so
     * "queued again 3 times" is read beside what operators added.
     */
    static List<String> operatorRequeues(DirectionStatus d) {
        List<String> lines = new java.util.ArrayList<>();
        for (var o : d.getOperatorRequeuesList()) {
            lines.add("  queued again by operator " + dev.rhizome.protocol.identity.PublicId.hex(o.getRequeuedBy())
                    .substring(0, 12) + " at " + java.time.Instant.ofEpochMilli(o.getRequeuedMs()) + ": trials of "
                    + CommitId.abbreviate(o.getCommit()) + " at seed(s) " + o.getRandomSeedsList().stream()
                    .map(Long::toUnsignedString).toList() + (o.getReason().isBlank() ? "" : " (" + o.getReason() + ")"));
        }
        int more = d.getOperatorRequeueCount() - d.getOperatorRequeuesCount();
        if (more > 0) {
            lines.add("  and " + more + " older operator order(s) to queue again (the audit export holds them all)");
        }
        return lines;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List directions with their frontiers.")
    public static final class ListDirections implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;
        @Mixin
        CoordinatorOption coordinator;
        @Option(names = "--json", description = "Print one JSON object: directions (each: direction, frontier_commit, frontier_metric, has_frontier_metric, experiments, results, baseline_metric, has_baseline_metric, closed, closed_reason, hardware_class, not_measured_reason, requeues_spent, operator_requeues (each operator's order that queued the direction's trials again, newest first, at most 10: commit, requeued_by, requeued_by_id, requeued_ms, random_seeds, reason), operator_requeue_count; a metric not measured yet is null).")
        boolean json;

        @Override
        public Integer call() {
            DirectionList list = Coordinators.read(coordinator, dataDir, CoordinatorClient::directions);
            Output out = new Output(System.out);
            if (json) {
                out.jsonList("directions", list.getDirectionsList());
                return ExitCodes.OK;
            }
            if (list.getDirectionsList().isEmpty()) {
                // a header over nothing read as a failure to a newcomer; this says what to do
                out.line("no direction on " + coordinator.url() + " yet; "
                        + Coordinators.noDirectionHint(FollowUp.of(coordinator, dataDir)));
                return ExitCodes.OK;
            }
            out.printf("%-16s %-10s %-12s %10s %10s %6s %6s %s%n", "DIRECTION", "SEED", "FRONTIER", "BASELINE", "FRONTIER_M",
                    "EXPS", "RESULTS", "STATE");
            for (DirectionStatus d : list.getDirectionsList()) {
                out.printf("%-16s %-10s %-12s %10s %10s %6d %6d %s%n", d.getDirection().getName(), d.getDirection().getSeed(),
                        CommitId.abbreviate(d.getFrontierCommit()),
                        d.getHasBaselineMetric() ? String.format("%.4f", d.getBaselineMetric()) : "-",
                        d.getHasFrontierMetric() ? String.format("%.4f", d.getFrontierMetric()) : "-",
                        d.getExperiments(), d.getResults(), d.getClosed() ? "closed" : "open");
                waiting(d, FollowUp.of(coordinator, dataDir)).forEach(out::line);
            }
            return ExitCodes.OK;
        }
    }
}
