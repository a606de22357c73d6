package dev.rhizome.client.commands;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The node's status (or a pause/resume answer) as lines for a person. */
final class NodeStatusText {
    private NodeStatusText() {
    }

    /** " since HH:MM" of a pause whose start the node knows (it outlasts restarts), else "". */
    private static String pausedSince(JsonObject o) {
        if (!o.has("paused_since_ms") || o.get("paused_since_ms").isJsonNull() || o.get("paused_since_ms").getAsLong() < 0) {
            return "";
        }
        return " since " + Instant.ofEpochMilli(o.get("paused_since_ms").getAsLong()).truncatedTo(ChronoUnit.SECONDS);
    }

    static String render(JsonObject o) {
        if (!o.has("slots")) {
            boolean paused = o.get("paused").getAsBoolean();
            String line = paused ? "paused: running jobs finish, no new ones start, and a restart stays paused until "
                    + "`rhizome node resume`" : "resumed";
            if (o.has("running") && !o.get("running").getAsBoolean()) {
                line = paused ? "no node is running: the pause is kept, and its next start begins paused until "
                        + "`rhizome node resume`" : "no node is running: the kept pause is removed, and its next start claims work";
            } else if (o.has("kept") && !o.get("kept").getAsBoolean()) {
                // a node older than the kept pause answers neither key
                line = (paused ? "paused: running jobs finish, no new ones start; NOT kept across a restart: "
                        : "resumed; a restart would find it paused again: ")
                        + (o.get("problem").isJsonNull() ? "the data directory could not be written" : o.get("problem").getAsString());
            }
            return line;
        }
        StringBuilder out = new StringBuilder();
        out.append("node ").append(o.get("node").getAsString());
        if (o.has("pid")) {
            // `node stop` is `kill PID`; a node older than this status has no pid to show
            out.append(" (pid ").append(o.get("pid").getAsLong()).append(')');
        }
        out.append(": ")
                .append(o.get("paused").getAsBoolean() ? "PAUSED" + pausedSince(o) + " (`rhizome node resume` starts jobs again)"
                        : "jobs " + o.get("gate").getAsString()).append('\n');
        for (JsonElement e : o.getAsJsonArray("slots")) {
            JsonObject s = e.getAsJsonObject();
            out.append(String.format("  %-6s %-28s %-18s", s.get("name").getAsString(), s.get("hardware_class").getAsString(),
                    s.get("state").getAsString()));
            if (!s.get("job").isJsonNull()) {
                JsonObject j = s.getAsJsonObject("job");
                out.append(String.format(" %s %.0f%%", abbrev(j.get("commit").getAsString()), 100 * j.get("progress").getAsDouble()));
                if (!j.get("last_step").isJsonNull()) {
                    out.append(" (").append(j.get("last_step").getAsString()).append(')');
                }
            }
            if (s.has("lease") && !s.get("lease").isJsonNull()
                    && s.getAsJsonObject("lease").get("renewals").getAsInt() > 0) {
                // a job longer than the coordinator's lease: its owner sees the node keeping it
                out.append(" (lease renewed ").append(s.getAsJsonObject("lease").get("renewals").getAsInt())
                        .append("x)");
            }
            if (s.has("fetch") && !s.get("fetch").isJsonNull() && !s.getAsJsonObject("fetch").get("given_back_unit").isJsonNull()) {
                // round 39: the unit went back to the coordinator, the download goes on for a later unit of it
                JsonObject f = s.getAsJsonObject("fetch");
                out.append(" ").append(abbrev(f.get("commit").getAsString())).append(" for no unit (unit ")
                        .append(f.get("given_back_unit").getAsString()).append(" given back: the download outlasted its "
                                + "job's limit and goes on)");
            }
            if (!s.get("next").isJsonNull()) {
                out.append(" next ").append(abbrev(s.getAsJsonObject("next").get("commit").getAsString()));
            }
            // a node older than round 38 has no cpus; null: its jobs may run on every CPU the node may use
            String cpus = s.has("cpus") && !s.get("cpus").isJsonNull() ? ", CPUs " + s.get("cpus").getAsString() : "";
            out.append(String.format(" [%d jobs%s]%n", s.get("jobs_run").getAsLong(), cpus));
        }
        JsonObject c = o.getAsJsonObject("credit");
        // "credit: 0 results reported" right after a restart read as credit lost: these are this
        // run's counts; the credit that lasts (compute seconds of valid results) is the coordinator's
        out.append(String.format("queued %d; since this node started: %d results reported, %d experiments proposed, "
                + "%d jobs run; %d in outbox%n",
                o.get("queued").getAsInt(), c.get("results_reported").getAsLong(), c.get("experiments_proposed").getAsLong(),
                c.get("jobs_run").getAsLong(), c.get("outbox_pending").getAsInt()));
        out.append(receiptsUnkept(c));
        out.append(lastingCredit(o));
        out.append(failures(o));
        out.append(busy(o));
        out.append(preferences(o));
        if (o.has("disk") && !o.get("disk").isJsonNull()) {
            JsonObject d = o.getAsJsonObject("disk");
            long repo = d.get("repo_bytes").getAsLong();
            out.append(String.format("%nrepository: %s of %d MiB, %s packs; kept for neighbours: %d of %d MiB (%d declined)",
                    repo < 0 ? "unreadable" : String.format(Locale.ROOT, "%.1f MiB", repo / 1048576.0),
                    d.get("repo_budget_bytes").getAsLong() >> 20,
                    repo < 0 ? "?" : String.valueOf(d.get("repo_packs").getAsInt()), d.get("kept_bytes").getAsLong() >> 20,
                    d.get("keep_budget_bytes").getAsLong() >> 20, d.get("keep_declined").getAsLong()));
        }
        if (o.has("peers") && !o.get("peers").isJsonNull()) {
            JsonObject p = o.getAsJsonObject("peers");
            out.append(p.get("reachable").getAsBoolean()
                    ? String.format("%npeers fetch from this node at %s", p.get("announced").getAsString())
                    : String.format("%nNOT REACHABLE BY PEERS at %s: %s", p.get("announced").getAsString(),
                            p.get("reason").getAsString()));
            // a node older than this key has none
            int blocked = p.has("bundle_readers_blocked") ? p.get("bundle_readers_blocked").getAsInt() : 0;
            if (blocked > 0) {
                out.append(String.format("%n%s", ServingCheck.blockedReaders(blocked)));
            }
            // a node older than this key has none; within the skew it says nothing
            if (p.has("clock") && p.get("clock").isJsonObject() && p.getAsJsonObject("clock").has("problem")
                    && !p.getAsJsonObject("clock").get("problem").isJsonNull()) {
                out.append(String.format("%nCLOCK WRONG: %s", p.getAsJsonObject("clock").get("problem").getAsString()));
            }
        }
        return out.toString();
    }

    /**
     * This run's failed jobs by outcome, each with its latest reason and what to do: the coordinator's
     * "4 errors" does not say which.
     */
    private static String failures(JsonObject o) {
        if (!o.has("failures") || !o.get("failures").isJsonArray() || o.getAsJsonArray("failures").isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(String.format("%njobs that measured nothing since this node started:"));
        for (JsonElement e : o.getAsJsonArray("failures")) {
            JsonObject f = e.getAsJsonObject();
            // a single-command seed's job gives no reason for a TIMEOUT or CRASH: its run time still says a lot
            String reason = f.get("last_reason").isJsonNull() || f.get("last_reason").getAsString().isEmpty()
                    ? "" : ": " + f.get("last_reason").getAsString();
            out.append(String.format(Locale.ROOT, "%n  %d %s, the latest unit %s of seed %s after %.1f s%s",
                    f.get("count").getAsLong(), f.get("outcome").getAsString(), f.get("last_unit").getAsString(),
                    f.get("last_seed").getAsString(), f.get("last_runtime_ms").getAsLong() / 1000.0, reason));
            String advice = f.has("advice") ? f.get("advice").getAsString()
                    : FailureAdvice.of(f.get("outcome").getAsString(), f.get("last_runtime_ms").getAsLong());
            out.append(String.format("%n    %s", advice));
        }
        return out.toString();
    }

    /** The preferences it runs with: a volunteer read them back only from node.properties and the command line. */
    private static String preferences(JsonObject o) {
        if (!o.has("preferences") || !o.get("preferences").isJsonObject()) {
            return "";  // a node older than this status
        }
        JsonObject p = o.getAsJsonObject("preferences");
        long kbps = p.get("max_download_kbps").getAsLong();
        return String.format(Locale.ROOT, "%npreferences: gpus %s, cpu-jobs %d, %s, run-hours %s, downloads %s, "
                        + "prefetch %s; caps: repo %d MiB, bundle cache %d MiB, work %d MiB",
                p.get("gpus").getAsString(), p.get("cpu_jobs").getAsInt(),
                p.get("idle_only").getAsBoolean() ? String.format(Locale.ROOT, "idle-only (%d min without input, load "
                        + "under %.2f a core)", p.get("idle_minutes").getAsInt(), p.get("idle_max_load").getAsDouble())
                        : "not idle-only",
                p.get("run_hours").getAsString(), kbps == 0 ? "uncapped" : kbps + " KiB/s at most",
                p.get("prefetch").getAsBoolean() ? "on" : "off", p.get("repo_mb").getAsLong(),
                p.get("bundle_cache_mb").getAsLong(), p.get("work_mb").getAsLong());
    }

    /**
     * Fewer CPU jobs, or none claimed, since a job was kept off a CPU: a node that claims nothing
     * otherwise looks idle for no reason. Each back-off in force ({@code busy_slots}: the CPU slots'
     * and each GPU slot's), or {@code busy} alone from a node older than that key; absent or null
     * (none) says nothing.
     */
    private static String busy(JsonObject o) {
        List<JsonObject> backoffs = new ArrayList<>();
        if (o.has("busy_slots") && o.get("busy_slots").isJsonArray()) {
            o.getAsJsonArray("busy_slots").forEach(b -> backoffs.add(b.getAsJsonObject()));
        } else if (o.has("busy") && o.get("busy").isJsonObject()) {
            backoffs.add(o.getAsJsonObject("busy"));
        }
        StringBuilder out = new StringBuilder();
        for (JsonObject b : backoffs) {
            String resource = b.has("resource") ? b.get("resource").getAsString() : "cpu";
            String since = Instant.ofEpochMilli(b.get("since_ms").getAsLong()).truncatedTo(ChronoUnit.SECONDS).toString();
            String waiting = b.get("waiting_for").isJsonNull() ? "the load to fall" : b.get("waiting_for").getAsString();
            if (resource.equals("cpu")) {
                String what = b.get("claiming").getAsBoolean()
                        ? String.format("%d of %d CPU jobs at once", b.get("allowed").getAsInt(), b.get("cpu_jobs").getAsInt())
                        : "NOT CLAIMING";
                out.append(String.format("%nthis machine is busy: %s since %s, a job having been kept off a CPU; "
                        + "waiting for %s", what, since, waiting));
            } else {
                // the GPU slot's job wants a CPU to feed its GPU: starved of one, the slot backs off on its own
                out.append(String.format("%nthis machine is busy for slot %s: %s since %s, its job having been kept off "
                        + "a CPU (the GPU was free); waiting for %s", resource,
                        b.get("claiming").getAsBoolean() ? "claiming again" : "NOT CLAIMING", since, waiting));
            }
        }
        return out.toString();
    }

    /**
     * Results the coordinator stored that wait in the outbox because their receipts cannot be
     * written: otherwise an outbox that never empties says nothing of why.
     */
    private static String receiptsUnkept(JsonObject credit) {
        if (!credit.has("receipts_unkept") || !credit.get("receipts_unkept").isJsonObject()) {
            return "";  // none, or a node older than this key
        }
        JsonObject u = credit.getAsJsonObject("receipts_unkept");
        long minutes = Math.max(0, System.currentTimeMillis() - u.get("since_ms").getAsLong()) / 60_000;
        return String.format("RECEIPTS NOT KEPT for %d minutes: %d results the coordinator stored wait in the outbox "
                        + "because their receipts cannot be written (%s); free space or fix the permissions of the "
                        + "node's data directory: the node asks for them again by itself%n",
                minutes, u.get("results").getAsInt(), u.get("problem").getAsString());
    }

    /** The coordinator's credit for the node's key, or why it is not shown and where to look. */
    private static String lastingCredit(JsonObject o) {
        String prefix = "credit kept by the coordinator across restarts (compute seconds of valid results): ";
        if (o.has("coordinator_credit") && o.get("coordinator_credit").isJsonObject()) {
            JsonObject k = o.getAsJsonObject("coordinator_credit");
            return prefix + String.format(Locale.ROOT, "%.1f s; %d valid, %d invalid, %d errors%s",
                    k.get("credit_seconds").getAsDouble(), k.get("valid").getAsLong(), k.get("invalid").getAsLong(),
                    k.get("errors").getAsLong(), k.get("trusted").getAsBoolean() ? "; trusted" : "");
        }
        String why = o.has("coordinator_credit_problem") && !o.get("coordinator_credit_problem").isJsonNull()
                ? o.get("coordinator_credit_problem").getAsString() + "; " : "";
        return prefix + "not shown: " + why + "rhizome leaderboard --volunteers";
    }

    private static String abbrev(String commit) {
        return commit.length() > 10 ? commit.substring(0, 10) : commit;
    }
}
