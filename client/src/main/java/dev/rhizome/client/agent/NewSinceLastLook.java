package dev.rhizome.client.agent;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.ExperimentList;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How many experiments were registered on a direction since this data directory last ran `rhizome
 * log --new` there, and how many papers were published on it since its last `rhizome papers --new`,
 * for the brief: one bounded page read from each kept mark (at most {@link #COUNTED}, then "more"),
 * and the marks left as they are (only the commands that show them move them).
 */
public record NewSinceLastLook(boolean marked, int experiments, boolean more, String command, boolean papersMarked,
        int papers, boolean papersMore, String papersCommand) {
    static final int COUNTED = 100;

    public static NewSinceLastLook read(CoordinatorClient client, Path dataDir, String direction)
            throws CoordinatorException {
        FollowUp where = new FollowUp(client.url().toString(), dataDir);
        String command = where.command("log --direction " + Shell.quote(direction) + " --new");
        String papersCommand = where.command("papers --direction " + Shell.quote(direction) + " --new");
        SeenMarks marks = new SeenMarks(dataDir);
        Optional<String> mark = marks.get(client, "experiments", direction);
        int experiments = 0;
        boolean more = false;
        if (mark.isPresent()) {
            ExperimentList since = client.experimentsPage(direction, COUNTED, mark.get());
            experiments = since.getEnvelopesCount();
            more = !since.getNext().isEmpty();
        }
        Optional<String> papersMark = marks.get(client, "papers", direction);
        int papers = 0;
        boolean papersMore = false;
        if (papersMark.isPresent()) {
            EnvelopeList since = client.papersPage(direction, "", "", true, COUNTED, papersMark.get());
            papers = since.getEnvelopesCount();
            papersMore = !since.getNext().isEmpty();
        }
        return new NewSinceLastLook(mark.isPresent(), experiments, more, command, papersMark.isPresent(), papers,
                papersMore, papersCommand);
    }

    public JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("marked", marked);
        o.addProperty("experiments", marked ? experiments : null);
        o.addProperty("more", more);
        o.addProperty("command", command);
        o.addProperty("papers_marked", papersMarked);
        o.addProperty("papers", papersMarked ? papers : null);
        o.addProperty("papers_more", papersMore);
        o.addProperty("papers_command", papersCommand);
        return o;
    }

    /** The brief's lines: how many are new and the commands that show them. */
    public String text() {
        return experimentsText() + "\n" + papersText();
    }

    private String experimentsText() {
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

    private String papersText() {
        if (!papersMarked) {
            return "`" + papersCommand + "` shows the direction's newest papers, and from then on only new ones.";
        }
        if (papers == 0) {
            return "No paper published since you last looked (`" + papersCommand + "`).";
        }
        return (papersMore ? "More than " + papers : String.valueOf(papers)) + " paper(s) published since you last "
                + "looked: `" + papersCommand + "` shows them.";
    }
}
