package dev.rhizome.client.commands;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Locale;

/**
 * What a volunteer can do about the node's failed jobs of one outcome, beside the node's counts:
 * "4 errors" alone did not say whether the commits were bad or the machine too busy for the seed's
 * time limit.
 */
final class FailureAdvice {
    private FailureAdvice() {
    }

    /** Adds {@code advice} to each entry of the status's {@code failures} (a node older than the key has none). */
    static void addTo(JsonObject status) {
        if (!status.has("failures") || !status.get("failures").isJsonArray()) {
            return;
        }
        for (JsonElement e : status.getAsJsonArray("failures")) {
            JsonObject f = e.getAsJsonObject();
            f.addProperty("advice", of(f.get("outcome").getAsString(), f.get("last_runtime_ms").getAsLong()));
        }
    }

    static String of(String outcome, long lastRuntimeMs) {
        return switch (outcome) {
            // jobs run at nice 19; the limit counts their time on a CPU, but a job starved of one by other
            // work is stopped at twice the limit in wall-clock time (node/job/JobClock)
            case "TIMEOUT" -> String.format(Locale.ROOT, "the job ran into its seed's time limit (the latest after %.0f s; "
                    + "the reason says whether it used its time on a CPU or waited for one). Jobs run at low priority: the "
                    + "limit counts their time on a CPU, and a job that waited mostly for one is not reported (MACHINE_BUSY); "
                    + "one that used its whole time on a CPU is too slow for this machine (run fewer jobs at once, "
                    + "--cpu-jobs 1, or only while the machine is idle, --idle-only), and one that waited on something "
                    + "else (a sleep, its input) is the commit's fault", lastRuntimeMs / 1000.0);
            // a job starved of a CPU to its wall-clock bound is not reported (node/job/MachineBusyException)
            case "MACHINE_BUSY" -> String.format(Locale.ROOT, "other work on this machine kept the job off a CPU until "
                    + "twice its seed's time limit (the latest after %.0f s): it was not reported, so the commit is not "
                    + "blamed, and its unit goes to another node once its lease runs out, which counts against this node's "
                    + "quota. Run fewer jobs at once (--cpu-jobs 1) or only while the machine is idle (--idle-only)",
                    lastRuntimeMs / 1000.0);
            case "CRASH" -> "the commit's code failed (the reason says how): the experiment's fault, not this machine's, "
                    + "unless every job crashes; then `rhizome node doctor` checks this machine";
            case "REFUSED" -> "the commit broke its seed's rules (e.g. changed a protected file): nothing to do here";
            case "UNFETCHABLE" -> "no peer served the commit: nothing to do here unless it repeats; then `rhizome node doctor` "
                    + "checks that this node reaches its peers";
            default -> "the reason says what happened";
        };
    }
}
