package dev.rhizome.client.agent;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.protocol.CommitId;
import java.util.Locale;

/** One agent round as a line for a person (`rhizome agent` without `--json`), from the round's JSON. */
public final class RoundText {
    private RoundText() {
    }

    public static String of(JsonObject round) {
        StringBuilder line = new StringBuilder("round ").append(round.get("round").getAsInt()).append(": ");
        if (round.has("error")) {
            line.append(string(round, "error").replace('_', ' ')).append(": ").append(string(round, "message"));
            String hint = string(round, "hint");
            if (!hint.isEmpty()) {
                line.append(" (").append(hint).append(')');
            }
            return line.toString();
        }
        if (!round.has("submitted") || !round.get("submitted").getAsBoolean()) {
            return line.append("nothing submitted: ").append(string(round, "reason")).toString();
        }
        line.append("submitted ").append(CommitId.abbreviate(string(round, "commit")))
                .append(" on ").append(CommitId.abbreviate(string(round, "parent")));
        if (round.has("command_timed_out") && round.get("command_timed_out").getAsBoolean()) {
            line.append(" (the command timed out)");
        }
        if (round.has("outcome")) {
            line.append("; ").append(outcome(round.getAsJsonObject("outcome")));
        }
        return line.toString();
    }

    private static String outcome(JsonObject o) {
        if (!o.get("decided").getAsBoolean()) {
            return "not decided yet, " + o.get("pending_units").getAsInt() + " unit(s) pending";
        }
        if (!o.get("valid").getAsBoolean() || o.get("metric").isJsonNull()) {
            return "no valid result";
        }
        String metric = String.format(Locale.ROOT, "%s %.4f", string(o, "metric_name"), o.get("metric").getAsDouble());
        JsonElement delta = o.get("delta_parent");
        if (delta != null && !delta.isJsonNull()) {
            metric += String.format(Locale.ROOT, " (%+.4f against its parent)", delta.getAsDouble());
        }
        return metric + (o.get("adopted").getAsBoolean() ? ", adopted" : ", not adopted");
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }
}
