package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.core.HardwareClasses;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.protocol.CommitId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Why an experiment's evaluations stay queued, as far as a client can tell: "3 queued" for minutes
 * left a newcomer guessing whether anything would ever run them. The coordinator lists the nodes
 * that announced themselves in its freshness window (10 minutes), whether the experiment's direction
 * is closed, and the units (evaluations and explorations) leased now with their directions. Pure:
 * the caller reads them.
 */
public final class QueueReason {
    /**
     * The words that open the reason when the only fitting nodes share the proposer's network
     * ({@code ExperimentReport.waiting_for_independent_runner}, which `--json` answers as it is).
     */
    public static final String INDEPENDENT_RUNNER = "waiting for an independent runner";

    private QueueReason() {
    }

    /**
     * What the coordinator told: the nodes it lists, the operator's reason when the experiment's
     * direction is closed ("" for none; empty when open), the units leased now to the listed nodes,
     * counted by direction (null when they were not read), and how many of the listed nodes (of the
     * seed's hardware class, when known) hold no unit at all (null when not read): those are idle as
     * far as the network can tell, and "their slots are busy" was said of them too.
     */
    public record Seen(int nodesListed, Optional<String> directionClosed, Map<String, Integer> leasedByDirection,
            Ahead ahead, Classes classes, Integer idleNodes, NotClaiming notClaiming, CoreToSpare coreToSpare) {
        public Seen(int nodesListed, Optional<String> directionClosed, Map<String, Integer> leasedByDirection,
                Ahead ahead, Classes classes, Integer idleNodes, NotClaiming notClaiming) {
            this(nodesListed, directionClosed, leasedByDirection, ahead, classes, idleNodes, notClaiming, null);
        }

        public Seen(int nodesListed, Optional<String> directionClosed, Map<String, Integer> leasedByDirection,
                Ahead ahead, Classes classes, Integer idleNodes) {
            this(nodesListed, directionClosed, leasedByDirection, ahead, classes, idleNodes, null);
        }

        public Seen(int nodesListed, Optional<String> directionClosed, Map<String, Integer> leasedByDirection,
                Ahead ahead, Classes classes) {
            this(nodesListed, directionClosed, leasedByDirection, ahead, classes, null);
        }

        public Seen(int nodesListed, Optional<String> directionClosed, Map<String, Integer> leasedByDirection,
                Ahead ahead) {
            this(nodesListed, directionClosed, leasedByDirection, ahead, null);
        }

        public Seen(int nodesListed, Optional<String> directionClosed, Map<String, Integer> leasedByDirection) {
            this(nodesListed, directionClosed, leasedByDirection, null, null);
        }

        public static Seen nodes(int nodesListed) {
            return new Seen(nodesListed, Optional.empty(), null);
        }
    }

    /**
     * What the listed nodes that can run the seed's units (all listed, where the classes are not
     * known) say of themselves ({@code PeerEndpoint.paused}, {@code .not_claiming}): how many there
     * are, how many their volunteers paused, and the others' reasons for claiming nothing now,
     * counted (as the nodes announced them: untrusted text), and the paused ones' keys (whose they
     * are: the waiter's own node, or other volunteers'). A paused node was counted as an idle
     * runner, and its waiter was told the evaluations should start within a minute.
     */
    public record NotClaiming(int fitting, int paused, Map<String, Integer> reasons, List<ByteString> pausedNodes) {
        public NotClaiming(int fitting, int paused, Map<String, Integer> reasons) {
            this(fitting, paused, reasons, List.of());
        }

        /** Whether every node that could run the units is paused (none at all is not "every"). */
        boolean allPaused() {
            return fitting > 0 && paused == fitting;
        }

        int count() {
            return paused + reasons.values().stream().mapToInt(Integer::intValue).sum();
        }

        /**
         * What brings them back: `rhizome node resume` only where one is paused (it was offered where
         * none was, and an agent ran it on its own node, which was not paused), else what each said.
         */
        String whenTheyClaim() {
            List<String> parts = new java.util.ArrayList<>();
            if (paused > 0) {
                parts.add("`rhizome node resume` on a paused one");
            }
            if (count() > paused) {
                parts.add((paused > 0 ? "the others: " : "") + "as each one's reason says");
            }
            return " (" + String.join("; ", parts) + ")";
        }

        /** "2 of them are paused by their volunteers, 1 claims nothing now (outside run-hours 09:00-17:00)". */
        String words() {
            List<String> parts = new java.util.ArrayList<>();
            if (paused > 0) {
                parts.add(paused + (paused == 1 ? " is paused by its volunteer" : " are paused by their volunteers"));
            }
            int others = count() - paused;
            if (others > 0) {
                StringBuilder why = new StringBuilder();
                reasons.forEach((r, n) -> why.append(why.isEmpty() ? "" : ", ").append(Untrusted.line(r, 120))
                        .append(n > 1 ? " x" + n : ""));
                parts.add(others + (others == 1 ? " claims" : " claim") + " nothing now (" + why + ")");
            }
            return String.join(", ", parts);
        }
    }

    /**
     * The experiment's open evaluations the coordinator offers only to a node whose machine leaves a
     * core idle ({@code UnitStatus.waiting_for} "core_to_spare": given back by loaded machines of two
     * networks, their jobs starved of a CPU), and the earliest moment any node may take one
     * ({@code open_to_any_ms}). "Their slots are busy" was said of units no node without an idle
     * core would ever be handed (round 36).
     */
    public record CoreToSpare(int units, long openToAnyMs) {
        String words() {
            return units + " of its evaluation(s) were given back unrun by loaded machines of 2 or more networks, "
                    + "their jobs kept off a CPU, so the coordinator offers them only to a node whose machine "
                    + "leaves a core idle (core_to_spare), which can tell a job that hangs from one that starved; "
                    + "any node may take them from " + java.time.Instant.ofEpochMilli(openToAnyMs)
                    + ", a run kept off a CPU then the commit's TIMEOUT";
        }
    }

    /**
     * The open evaluations a claim is offered before the experiment's first (the coordinator hands
     * them out oldest first), and how many of those are its parent's: "their slots are busy" left a
     * newcomer on the README's network not knowing that the base's evaluations, which the experiment
     * is compared with seed by seed, would take minutes first.
     */
    public record Ahead(int units, int ofParent) {
        /** Counts {@code openEvaluations} (OPEN EVALUATE units' commits, oldest first) before {@code commit}'s first. */
        public static Ahead of(List<String> openEvaluations, String commit, String parent) {
            int units = 0;
            int ofParent = 0;
            for (String c : openEvaluations) {
                if (c.equals(commit)) {
                    break;
                }
                units++;
                if (c.equals(parent)) {
                    ofParent++;
                }
            }
            return new Ahead(units, ofParent);
        }

        String words(String parent) {
            if (units == 0) {
                return "; no evaluation is queued ahead of these: they are next";
            }
            return "; " + units + " evaluation(s) are queued ahead of these" + (ofParent == 0 ? ""
                    : ", " + ofParent + " of them of its parent " + CommitId.abbreviate(parent)
                            + " (the base it is compared with, seed by seed)")
                    + ", each about a job's time on a free slot";
        }
    }

    /**
     * The hardware class the experiment's seed needs ({@code Manifest.hardware_class}: "any", a
     * class, or a prefix of one) and those the listed nodes announced, counted: "busy or of another
     * hardware class" was one sentence, and a newcomer whose seed needs a GPU waited on CPU nodes
     * that would never run it. Null where the coordinator's list carries no classes (older than
     * round 27) or the seed's unit was not read.
     */
    public record Classes(String required, Map<String, Integer> nodes) {
        /** How many of the listed nodes can run the seed's units (the coordinator's own rule, {@link HardwareClasses}). */
        int fitting() {
            return nodes.entrySet().stream().filter(e -> HardwareClasses.fits(required, e.getKey()))
                    .mapToInt(Map.Entry::getValue).sum();
        }

        String listed() {
            StringBuilder b = new StringBuilder();
            // as the nodes announced them, unsigned: shown as untrusted text
            nodes.forEach((c, n) -> b.append(b.isEmpty() ? "" : ", ").append(n).append(" ").append(Untrusted.line(c, 80)));
            return b.toString();
        }
    }

    /**
     * Why an experiment's evaluations stay queued, for a program as well as a reader: the reason in
     * words, what they wait for in one word ({@link #waitingFor}), and, waiting for a core to spare,
     * when any node may take them (epoch ms; else null). Only the words said it before round 37, and
     * an agent could not decide from a key whether to wait or claim other work.
     */
    public record Queued(String reason, String waitingFor, Long openToAnyMs) {
    }

    /** No node announced itself lately: they wait for one to start. */
    public static final String FOR_NODE = "node";
    /** The direction is closed: nothing will run them (a closure is final; claim on another direction). */
    public static final String FOR_DIRECTION_OPEN = "direction_open";
    /** The only fitting nodes share the proposer's network ({@code waiting_for_independent_runner}). */
    public static final String FOR_INDEPENDENT_RUNNER = "independent_runner";
    /** Offered only to a node whose machine leaves a core idle, until {@code open_to_any_ms} (the coordinator's word). */
    public static final String FOR_CORE_TO_SPARE = "core_to_spare";
    /** No node listed is of the seed's hardware class. */
    public static final String FOR_HARDWARE_CLASS = "hardware_class";
    /** Every node that could run them is paused or claims nothing now. */
    public static final String FOR_NODE_CLAIMING = "node_claiming";
    /** Nodes that can run them are about: a slot of one of them, in queue order. */
    public static final String FOR_FREE_SLOT = "free_slot";

    /**
     * What the queued evaluations wait for, one of the FOR_ words, in the order the reason's words
     * weigh them ({@link #of(ExperimentReport, Seen, FollowUp)} says the same in a sentence).
     */
    public static String waitingFor(ExperimentReport report, Seen seen) {
        if (seen.directionClosed().isPresent()) {
            return FOR_DIRECTION_OPEN;
        }
        if (seen.nodesListed() == 0) {
            return FOR_NODE;
        }
        if (report.getWaitingForIndependentRunner()) {
            return FOR_INDEPENDENT_RUNNER;
        }
        if (seen.coreToSpare() != null && seen.coreToSpare().units() > 0) {
            return FOR_CORE_TO_SPARE;
        }
        if (seen.classes() != null && seen.classes().fitting() == 0) {
            return FOR_HARDWARE_CLASS;
        }
        NotClaiming standing = seen.notClaiming();
        if (standing != null && standing.fitting() > 0 && standing.count() == standing.fitting()) {
            return FOR_NODE_CLAIMING;
        }
        return FOR_FREE_SLOT;
    }

    /** {@link #of(ExperimentReport, Seen, FollowUp)} with what it waits for; empty when nothing is queued. */
    public static Optional<Queued> queued(ExperimentReport report, Seen seen, FollowUp where) {
        return of(report, seen, where).map(reason -> {
            String waitingFor = waitingFor(report, seen);
            return new Queued(reason, waitingFor,
                    waitingFor.equals(FOR_CORE_TO_SPARE) ? seen.coreToSpare().openToAnyMs() : null);
        });
    }

    /** Whether {@code report} has evaluations no runner holds (worth asking the coordinator for its nodes). */
    public static boolean queued(ExperimentReport report) {
        return !report.getDecided() && report.getPendingUnits() > report.getLeasedUnits();
    }

    /** The reason in words, given the nodes the coordinator listed; empty when nothing is queued. */
    public static Optional<String> of(ExperimentReport report, int nodesListed) {
        return of(report, Seen.nodes(nodesListed));
    }

    /** The reason in words, given what the coordinator told; empty when nothing is queued. */
    public static Optional<String> of(ExperimentReport report, Seen seen) {
        return of(report, seen, FollowUp.BARE);
    }

    /**
     * {@link #of(ExperimentReport, Seen)}, the commands it offers naming the data directory and
     * coordinator of {@code where} (a `rhizome node` with no coordinator known says URL, for the
     * reader to fill in): a newcomer was told `--coordinator URL` by the command that had just asked
     * that coordinator, and `rhizome wait --commit X` without the --data-dir it had used.
     */
    public static Optional<String> of(ExperimentReport report, Seen seen, FollowUp where) {
        if (!queued(report)) {
            return Optional.empty();
        }
        Optional<String> why = withoutPlace(report, seen, where);
        if (why.isEmpty() || seen.ahead() == null || seen.directionClosed().isPresent() || seen.nodesListed() == 0
                || report.getWaitingForIndependentRunner()
                || seen.coreToSpare() != null && seen.coreToSpare().units() > 0
                || seen.classes() != null && seen.classes().fitting() == 0) { // no place in a queue no node serves
            return why;
        }
        return Optional.of(why.get() + seen.ahead().words(Records.experiment(report.getExperiment()).getParent()));
    }

    private static Optional<String> withoutPlace(ExperimentReport report, Seen seen, FollowUp where) {
        String direction = Records.experiment(report.getExperiment()).getDirection();
        if (seen.directionClosed().isPresent()) {
            // a closed direction hands out none of its evaluations: "their slots are busy" sent its
            // waiter to wait for what no node would ever run
            String why = seen.directionClosed().get();
            return Optional.of("direction " + direction + " is closed" + (why.isEmpty() ? "" : " (" + why + ")")
                    + ", and a closed direction hands out none of its evaluations: no node runs these unless an "
                    + "operator opens it again; `" + where.command("direction list") + "` shows the open ones");
        }
        if (seen.nodesListed() == 0) {
            // Only --coordinator, not FollowUp's --data-dir: the node to start is anyone's machine,
            // and the waiter's own data directory is held by its own node if one runs (a second is refused).
            return Optional.of("no node has announced itself to the coordinator in the last 10 minutes, so nothing runs "
                    + "queued evaluations: start one with `rhizome node --coordinator "
                    + (where.coordinator() == null ? "URL" : Shell.quote(where.coordinator())) + "` (see `rhizome node --help`)");
        }
        if (report.getWaitingForIndependentRunner()) {
            // Only the coordinator knows the networks: the node list carries none, and "their slots
            // are busy" was said of nodes that may not run these at all (round 30's gap).
            int sharing = report.getProposersNetworkNodes();
            return Optional.of(INDEPENDENT_RUNNER + ": the only node(s) seen in the last 10 minutes that can run these ("
                    + sharing + (sharing >= 100 ? " or more" : "") + ") announced from the network this experiment "
                    + "was registered from, and the coordinator keeps its proposer's network off its evaluations "
                    + "while nodes of other networks are about, so that someone else measures it; they start when "
                    + "a node of the seed's hardware class announces from another network (`rhizome node` on such "
                    + "a machine), or once no node of another network has announced for 10 minutes"
                    + "; nothing is lost by leaving them queued: claim other work meanwhile, and " + waitCommand(report, where)
                    + " follows them");
        }
        if (seen.coreToSpare() != null && seen.coreToSpare().units() > 0) {
            return Optional.of(seen.coreToSpare().words() + "; a volunteer with an idle machine runs them sooner "
                    + "(`rhizome node` there); nothing is lost by leaving them queued: claim other work meanwhile, and "
                    + waitCommand(report, where) + " follows them");
        }
        Classes classes = seen.classes();
        if (classes != null && classes.fitting() == 0) {
            return Optional.of(seen.nodesListed() + " node(s) announced in the last 10 minutes (" + classes.listed()
                    + "), and none is of the hardware class the seed needs (" + Untrusted.line(classes.required(), 80) + "), so none of them "
                    + "runs these: they wait for a node of that class (`rhizome node` on such a machine; "
                    + "`rhizome node doctor` shows a machine's class)");
        }
        String nodes = seen.nodesListed() + " node(s) announced in the last 10 minutes"
                + (classes != null && classes.fitting() < seen.nodesListed() ? " (" + classes.fitting() + " of them of "
                        + "the hardware class the seed needs, " + Untrusted.line(classes.required(), 80) + ")" : "")
                + (report.getLeasedUnits() > 0 ? " and the rest wait" : " and none has taken one yet");
        // Classes known: every node counted above can run these, so "of another hardware class" is not why.
        String hardware = classes != null || report.getHardwareClass().isEmpty() ? "" : " of another hardware class than "
                + report.getHardwareClass();
        NotClaiming standing = seen.notClaiming();
        if (standing != null && standing.fitting() > 0 && standing.count() == standing.fitting()) {
            // every node that could run these said it claims nothing: none will until one does
            return Optional.of(nodes + ", and none of " + (standing.fitting() == 1 ? "it" : "them")
                    + " claims work now: " + standing.words() + "; these start once one of them claims again "
                    + standing.whenTheyClaim()
                    + "; nothing is lost by leaving them queued: claim other work meanwhile, and "
                    + waitCommand(report, where) + " follows them");
        }
        if (standing != null && standing.count() > 0) {
            nodes += " (of those that can run them, " + standing.words() + ")";
        }
        String order = "; queued evaluations run in the order they were queued, a direction's base before "
                + "experiments on it";
        String meanwhile = "; nothing is lost by leaving them queued: claim other work meanwhile, and "
                + waitCommand(report, where) + " follows them";
        Map<String, Integer> leased = seen.leasedByDirection();
        if (leased != null && leased.isEmpty() && report.getLeasedUnits() == 0) {
            return Optional.of(nodes + ", and no unit of any direction is leased now: the nodes "
                    + (classes != null ? "" : "are" + (hardware.isEmpty() ? " of another hardware class" : hardware)
                            + ", or ") + "have not asked for work since these were queued (a node asks every few "
                    + "seconds while idle, but not while its owner's work leaves it no free core: "
                    + "`rhizome node status` on a node says which)" + meanwhile);
        }
        Integer idle = seen.idleNodes();
        if (idle != null && idle > 0) {
            // A node that holds no unit is not busy with the network's work, whatever else holds the
            // others: "their slots are busy" sent its waiter to wait for nothing in particular.
            return Optional.of(nodes + ", and " + idle + " of them hold" + (idle == 1 ? "s" : "") + " no unit of any "
                    + "direction now: an idle node asks for work every few seconds, so these should start within a "
                    + "minute; if they stay queued, " + (idle == 1 ? "that node is" : "those nodes are")
                    + (classes != null || hardware.isEmpty() ? "" : hardware + ",")
                    + " paused or kept from asking by its owner's work on the machine (`rhizome node status` on a "
                    + "node says which)" + meanwhile);
        }
        if (leased != null && report.getLeasedUnits() == 0) {
            Map<String, Integer> others = new TreeMap<>(leased);
            others.remove(direction);
            if (!others.isEmpty() && !leased.containsKey(direction)) {
                StringBuilder list = new StringBuilder();
                others.forEach((d, n) -> list.append(list.isEmpty() ? "" : ", ").append(d).append(": ").append(n));
                return Optional.of(nodes + ": the units leased now are all of other directions (" + list
                        + "), so the slots are taken by their work" + (hardware.isEmpty() ? "" : " (or the nodes are"
                        + hardware + ")") + order + meanwhile);
            }
        }
        // A node whose last job was kept off a CPU claims nothing until its machine's load falls: from
        // here that looks the same as busy slots, and only the node can tell them apart.
        return Optional.of(nodes + ": their slots are busy with earlier work"
                + (hardware.isEmpty() ? "" : " (or" + hardware + ")")
                + ", or their machines with their owners' (`rhizome node status` on a node says which)" + order
                + meanwhile);
    }

    /** The command that follows {@code report}'s experiment until it is decided. */
    private static String waitCommand(ExperimentReport report, FollowUp where) {
        String commit = Records.experiment(report.getExperiment()).getCommit();
        return "`" + where.command("wait --commit " + (commit.isEmpty() ? "C" : commit)) + "`";
    }
}
