package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.HardwareClasses;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@link QueueReason} is told, read from the coordinator: its directions, its list of nodes,
 * the units leased now and the open ones. Each listing is read once, when first needed, however many
 * experiments ask: `wait` asks for one, `log` for every pending experiment of its page.
 */
final class QueueReads {
    private final CoordinatorClient client;
    private List<DirectionStatus> directions;
    private List<PeerEndpoint> nodes;
    private Map<String, Integer> leasedByDirection;
    private List<UnitStatus> open;
    private Set<ByteString> holders;

    QueueReads(CoordinatorClient client) {
        this.client = client;
    }

    /** What the coordinator tells of {@code report}'s experiment's queue. */
    QueueReason.Seen seenFor(ExperimentReport report) throws CoordinatorException {
        Experiment e = Records.experiment(report.getExperiment());
        if (directions == null) {
            directions = client.directions().getDirectionsList();
        }
        Optional<String> closed = directions.stream()
                .filter(d -> d.getDirection().getName().equals(e.getDirection()) && d.getClosed())
                .map(DirectionStatus::getClosedReason).findFirst();
        if (nodes == null) {
            nodes = client.nodes().getPeersList();
        }
        Map<String, Integer> leased = null;
        if (!nodes.isEmpty() && closed.isEmpty()) {
            // as many as the nodes' slots: whose work holds them tells "busy" from "taken by another
            // direction", and a listed node holding none from either
            readLeased();
            leased = leasedByDirection;
        }
        QueueReason.Ahead ahead = null;
        QueueReason.Classes classes = null;
        QueueReason.CoreToSpare coreToSpare = null;
        if (!nodes.isEmpty() && closed.isEmpty()) {
            // where the experiment stands in the queue: minutes behind the base's evaluations
            // read as "nothing happens" to a newcomer without it
            if (open == null) {
                open = client.units("OPEN").getUnitsList();
            }
            List<String> openEvaluations = new ArrayList<>();
            String required = null;
            int waitingForACore = 0;
            long openToAny = Long.MAX_VALUE;
            for (UnitStatus u : open) {
                if (u.getUnit().getKind() == WorkUnit.Kind.EVALUATE) {
                    openEvaluations.add(u.getUnit().getCommit());
                    if (u.getUnit().getCommit().equals(e.getCommit()) && u.getWaitingFor().equals("core_to_spare")) {
                        waitingForACore++;
                        openToAny = Math.min(openToAny, u.getOpenToAnyMs());
                    }
                    if (required == null && u.getUnit().getCommit().equals(e.getCommit())) {
                        required = u.getUnit().getManifest().getHardwareClass();
                    }
                }
            }
            ahead = QueueReason.Ahead.of(openEvaluations, e.getCommit(), e.getParent());
            coreToSpare = waitingForACore == 0 ? null : new QueueReason.CoreToSpare(waitingForACore, openToAny);
            classes = classes(required, nodes);
        }
        QueueReason.Classes fitting = classes;
        List<PeerEndpoint> fit = nodes.stream()
                .filter(p -> fitting == null || HardwareClasses.fits(fitting.required(), p.getHardwareClass())).toList();
        // A node that says it claims nothing (paused by its volunteer, outside its hours, backing off)
        // is not idle, whatever it holds: it was counted as one, and "should start within a minute"
        // was said of a paused node (round 32).
        Integer idle = leased == null ? null : (int) fit.stream().filter(p -> !holders.contains(p.getNode()))
                .filter(QueueReads::claims).count();
        List<ByteString> pausedNodes = fit.stream().filter(PeerEndpoint::getPaused).map(PeerEndpoint::getNode).toList();
        int paused = pausedNodes.size();
        Map<String, Integer> notClaiming = new TreeMap<>();
        fit.stream().filter(p -> !p.getPaused() && !p.getNotClaiming().isEmpty())
                .forEach(p -> notClaiming.merge(p.getNotClaiming(), 1, Integer::sum));
        return new QueueReason.Seen(nodes.size(), closed, leased, ahead, classes, idle,
                new QueueReason.NotClaiming(fit.size(), paused, notClaiming, pausedNodes), coreToSpare);
    }

    /** Whether the node says it claims work (an older node, which says nothing, is taken to). */
    private static boolean claims(PeerEndpoint node) {
        return !node.getPaused() && node.getNotClaiming().isEmpty();
    }

    /**
     * The units leased now to the listed nodes, counted by direction, and the listed nodes holding
     * any: a unit an agent holds (its exploration) or a node no longer listed holds takes no listed
     * node's slot.
     */
    private void readLeased() throws CoordinatorException {
        if (leasedByDirection != null) {
            return;
        }
        Set<ByteString> listed = new HashSet<>();
        nodes.forEach(p -> listed.add(p.getNode()));
        leasedByDirection = new TreeMap<>();
        holders = new HashSet<>();
        for (UnitStatus u : client.units("LEASED").getUnitsList()) {
            if (listed.contains(u.getHolder())) {
                leasedByDirection.merge(u.getUnit().getDirection(), 1, Integer::sum);
                holders.add(u.getHolder());
            }
        }
    }

    /**
     * The seed's class and the listed nodes', counted by class; null where either is unknown: the
     * experiment's unit was not among the open ones, or a node's entry has no class (a coordinator
     * older than the list's {@code hardware_class}).
     */
    private static QueueReason.Classes classes(String required, List<PeerEndpoint> listed) {
        if (required == null || listed.stream().anyMatch(p -> p.getHardwareClass().isEmpty())) {
            return null;
        }
        Map<String, Integer> byClass = new TreeMap<>();
        listed.forEach(p -> byClass.merge(p.getHardwareClass(), 1, Integer::sum));
        return new QueueReason.Classes(required.isEmpty() ? "any" : required, byClass);
    }
}
