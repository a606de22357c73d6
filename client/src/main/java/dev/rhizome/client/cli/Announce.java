package dev.rhizome.client.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.prefs.KeptPause;
import dev.rhizome.node.prefs.RunGate;
import dev.rhizome.node.work.InventoryAnnouncer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Announces what a data directory's repository holds, at the endpoint of the node serving it.
 * Commands that add commits (seed publish, submit) call this so peers can fetch them at once,
 * without waiting for the node's next heartbeat, and before they register the commits.
 *
 * <p>The node announces itself (its control socket's {@code announce}), so what the coordinator
 * reads of it is the node's own word: its hardware class, whether its volunteer paused it and why
 * it claims nothing. The command announced under the node's key itself, classless and claiming,
 * and a paused node read as claiming on /v1/nodes, the dashboard and the coordinator's draws until
 * its next heartbeat. The command announces itself only where the node's announcement did not
 * reach the command's coordinator (no answer, an older node, a coordinator that did not take it, a
 * node working for another coordinator), and then with what the node told, or where it told nothing,
 * with what the command can know of it: the class this machine's probe gives, the pause its data
 * directory keeps.
 */
public final class Announce {
    /** The few stable words for a node that claims from another coordinator than the command's. */
    static final String ELSEWHERE = "claims work from another coordinator";

    private Announce() {
    }

    public static Optional<NodeEndpoint> servingNode(Path dataDir) {
        try {
            return NodeEndpoint.ofRunningNode(dataDir);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, e.getMessage());
        }
    }

    /** Has the node serving {@code dataDir} announce its inventory to {@code coordinator} now. */
    public static void inventory(CoordinatorClient coordinator, NodeRepository repository, NodeEndpoint node,
            Path dataDir) throws CoordinatorException {
        Optional<JsonObject> told = askNode(dataDir);
        boolean sameCoordinator = told.map(t -> sameCoordinator(t, coordinator)).orElse(false);
        if (sameCoordinator && told.get().get("announced").getAsBoolean()) {
            return;
        }
        InventoryAnnouncer.Availability availability;
        String hardwareClass;
        if (told.isPresent()) {
            JsonObject t = told.get();
            hardwareClass = t.get("hardware_class").getAsString();
            boolean paused = t.get("paused").getAsBoolean();
            String notClaiming = t.get("not_claiming").getAsString();
            availability = new InventoryAnnouncer.Availability(paused,
                    sameCoordinator || !notClaiming.isEmpty() ? notClaiming : ELSEWHERE);
        } else {
            hardwareClass = HardwareProbe.probe().hardwareClass();
            boolean paused = KeptPause.since(dataDir).isPresent();
            availability = new InventoryAnnouncer.Availability(paused, paused ? RunGate.announced("paused") : "");
        }
        coordinator.announce(InventoryAnnouncer.announcement(coordinator.identity().publicId(), node.host(), node.port(),
                repository.commits(), hardwareClass, System.currentTimeMillis(), availability));
    }

    /**
     * The node's answer to {@code announce}: empty where none answered it (no socket, no answer in
     * time, an older node that knows no such request, an answer without the keys this reads).
     */
    static Optional<JsonObject> askNode(Path dataDir) {
        String text;
        try {
            // a busy node is asked again, bounded; one that stays busy is announced for as the command can
            text = ControlClient.requestAskingAgain(new NodeLayout(dataDir).controlSocket(), "announce",
                    ControlClient.REFUSED_PATIENCE);
        } catch (IOException e) {
            return Optional.empty();
        }
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (!parsed.isJsonObject()) {
                return Optional.empty();
            }
            JsonObject o = parsed.getAsJsonObject();
            for (String key : new String[] {"announced", "coordinator", "hardware_class", "paused", "not_claiming"}) {
                if (!o.has(key) || !o.get(key).isJsonPrimitive()) {
                    return Optional.empty();
                }
            }
            return Optional.of(o);
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Whether the node works for the command's coordinator: the announcement it made is the one that counts. */
    private static boolean sameCoordinator(JsonObject told, CoordinatorClient coordinator) {
        try {
            return CoordinatorClient.parseUrl(told.get("coordinator").getAsString()).equals(coordinator.url());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
