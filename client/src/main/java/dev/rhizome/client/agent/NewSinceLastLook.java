package dev.rhizome.client.agent;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.ExperimentList;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How many experiments were registered on a direction since this data directory last ran `rhizome
 * log --new` there, for the brief: one bounded page read from the kept mark (at most {@link #COUNTED},
 * then "more"), and the mark left as it is (only `log --new`, which shows them, moves it).
 */
public record NewSinceLastLook(boolean marked, int experiments, boolean more, String command) {
    static final int COUNTED = 100;

    public static NewSinceLastLook read(CoordinatorClient client, Path dataDir, String direction)
            throws CoordinatorException {
        String command = "rhizome log --direction " + Shell.quote(direction) + " --new";
        Optional<String> mark = new SeenMarks(dataDir).get(client, "experiments", direction);
        if (mark.isEmpty()) {
            return new NewSinceLastLook(false, 0, false, command);
        }
        ExperimentList since = client.experimentsPage(direction, COUNTED, mark.get());
        return new NewSinceLastLook(true, since.getEnvelopesCount(), !since.getNext().isEmpty(), command);
    }

    public JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("marked", marked);
        o.addProperty("experiments", marked ? experiments : null);
        o.addProperty("more", more);
        o.addProperty("command", command);
        return o;
    }

    /** The brief's line: how many are new and the command that shows them. */
    public String text() {
        if (!marked) {
            return "You have not looked at this direction's log from here yet: `" + command + "` shows what was tried "
                    + "(newest first, each with its outcome), and from then on only what is new.";
        }
        if (experiments == 0) {
            return "Nothing new since you last looked (`" + command + "`).";
        }
        return (more ? "More than " + experiments : String.valueOf(experiments)) + " experiment(s) new since you last "
                + "looked: `" + command + "` lists them with their outcomes.";
    }
}
