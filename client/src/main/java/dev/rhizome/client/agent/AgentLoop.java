package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ErrorFields;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.JsonValues;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * The autoresearch loop, headless, for any coding agent: each round claims an EXPLORE unit, writes
 * the brief, runs the agent's command in a fresh workspace with a time limit, commits what it
 * changed, checks the seed's rules locally, submits it with the command's paper (or a generated
 * one), and waits for the network's decision or moves on. A failing round is reported and the
 * loop goes on.
 */
public final class AgentLoop {
    /** Who gives a round's unit back, as a later `submit` of it names it. */
    private static final String AGENT = "`rhizome agent` (a round that submitted nothing)";
    /** What the loop was asked to do. */
    public record Settings(String direction, String command, int rounds, String hypothesis, String hardwareClass,
            Duration roundLimit, Duration claimPatience, boolean await, Duration waitLimit, Path workspaces,
            String coordinatorUrl) {
    }

    private final Research research;
    private final Settings settings;
    private final Consumer<String> progress;
    private int submitted;
    private int withResults;
    private int adopted;
    private int papers;
    private Double best;

    public AgentLoop(Research research, Settings settings, Consumer<String> progress) {
        this.research = research;
        this.settings = settings;
        this.progress = progress;
    }

    /** Runs one round and describes it; never throws for a failure of the round itself. */
    public JsonObject round(int n) throws InterruptedException {
        JsonObject r = new JsonObject();
        r.addProperty("round", n);
        WorkUnit unit = null;
        try {
            unit = claim(r);
            if (unit == null) {
                return r;
            }
            // interrupted before the round submits, the unit goes back rather than stay leased to nobody
            UnitGiveBack giveBack = new UnitGiveBack(research, null, "its round had submitted nothing", AGENT);
            giveBack.granted(unit);
            Interrupts.undoIfInterrupted(giveBack);
            Path ws = settings.workspaces().resolve("round-" + n + "-" + unit.getId().substring(0, 8));
            research.checkout(unit, ws);
            r.addProperty("workspace", ws.toString());
            Path dir = research.unitDir(unit.getId());
            Brief brief = Brief.collect(research.client(), research.dataDir(), unit.getDirection(), unit, ws, List.of());
            Path briefFile = brief.write(dir.resolve("BRIEF.md"));
            Path briefJson = dir.resolve("brief.json");
            DurableFiles.replace(briefJson,
                    JsonValues.absentAsNull(brief.json()).toString().getBytes(StandardCharsets.UTF_8));
            Path paperFile = dir.resolve("PAPER.md");
            Files.deleteIfExists(paperFile);
            r.addProperty("brief", briefFile.toString());
            Map<String, String> env = new LinkedHashMap<>();
            env.put("RHIZOME_BRIEF", briefFile.toString());
            env.put("RHIZOME_BRIEF_JSON", briefJson.toString());
            env.put("RHIZOME_PAPER", paperFile.toString());
            env.put("RHIZOME_WORKSPACE", ws.toAbsolutePath().toString());
            env.put("RHIZOME_UNIT", unit.getId());
            env.put("RHIZOME_DIRECTION", unit.getDirection());
            env.put("RHIZOME_BASE_COMMIT", unit.getCommit());
            env.put("RHIZOME_ROUND", Integer.toString(n));
            env.put("RHIZOME_DATA_DIR", research.dataDir().toString());
            env.put("RHIZOME_COORDINATOR", settings.coordinatorUrl());
            progress.accept("round " + n + ": running the agent command in " + ws + " (limit "
                    + settings.roundLimit().toSeconds() + " s)");
            AgentCommandRunner.Run run;
            LeaseKeeper lease = LeaseKeeper.start(research, unit, m -> progress.accept("round " + n + ": " + m));
            try {
                run = AgentCommandRunner.run(settings.command(), ws, env, settings.roundLimit(), dir.resolve("agent.log"));
            } finally {
                lease.close();
            }
            unit = lease.unit();  // with its renewed deadline, which submit checks
            r.addProperty("command_exit", run.exitCode());
            r.addProperty("command_timed_out", run.timedOut());
            r.addProperty("command_ms", run.millis());
            r.addProperty("command_log", run.log().toString());
            if (run.timedOut()) {
                progress.accept("round " + n + ": the command ran past " + settings.roundLimit().toSeconds()
                        + " s and was killed; submitting what it committed or left");
            }
            String paperText = agentPaper(paperFile, n);
            if (!commitChanges(ws, unit, paperText, n)) {
                Interrupts.handedOver();
                research.giveBack(unit, AGENT);
                r.addProperty("submitted", false);
                r.addProperty("reason", "the command changed nothing");
                progress.accept("round " + n + ": the command changed nothing");
                return r;
            }
            boolean generated = paperText == null || paperText.isBlank();
            if (generated) {
                paperText = generatedPaper(ws, unit, run);
            }
            Interrupts.handedOver();  // from here the experiment may be registered: nothing to give back
            Research.Submission s = research.submit(unit, ws, null, null, paperText, List.of(), false);
            unit = null;  // closed by the submission
            submitted++;
            if (s.paperId() != null) {
                papers++;
            }
            r.addProperty("submitted", true);
            r.addProperty("commit", s.commit());
            r.addProperty("parent", s.parent());
            r.addProperty("paper_id", s.paperId());
            r.addProperty("paper_generated", generated);
            JsonArray similar = new JsonArray();
            s.similarDiffs().forEach(m -> similar.add(m.commit()));
            r.add("similar_diffs", similar);
            progress.accept("round " + n + ": submitted " + CommitId.abbreviate(s.commit()));
            if (settings.await()) {
                ExperimentReport report = research.waitFor(s.commit(), settings.waitLimit(), progress);
                JsonObject outcome = Outcome.json(s.commit(), report);
                Optional<QueueReason.Queued> whyQueued = report.getDecided() ? Optional.empty() : research.queued(report);
                OutcomeNextSteps.addQueued(outcome, s.commit(), report, whyQueued, research.followUp());
                r.add("outcome", outcome);
                count(report);
                progress.accept("round " + n + ": " + Outcome.text(s.commit(), report));
                OutcomeNextSteps.lineQueued(s.commit(), report, whyQueued, research.followUp()).ifPresent(l -> progress.accept("round " + n + ": " + l));
            }
        } catch (CommandException e) {
            if (e.error().equals("unknown_direction") || e.error().equals("direction_closed")) {
                throw e;  // no later round can do better
            }
            if (n == 1 && unit == null && e.exitCode() == ExitCodes.UNREACHABLE) {
                // the first claim could not reach the coordinator: most likely a wrong
                // --coordinator, which every later round would repeat; later outages are per round
                throw e;
            }
            String hint = e.hint().isEmpty() ? "the next round starts afresh" : e.hint();
            ErrorFields.put(r, e.error(), e.getMessage(), hint, e.option());
            progress.accept("round " + n + " failed: " + e.getMessage() + " (" + hint + ")");
            releaseQuietly(unit);
        } catch (IOException e) {
            String message = Problems.describe(e);
            ErrorFields.put(r, "failed", message, "see the round's command_log; the next round starts afresh");
            progress.accept("round " + n + " failed: " + message);
            // a brief or paper that could not be written left the unit leased to nobody until its deadline
            releaseQuietly(unit);
        } finally {
            Interrupts.handedOver();
        }
        return r;
    }

    /** Gives a unit the round will not submit back now (null: nothing held); a failure leaves it to its deadline. */
    private void releaseQuietly(WorkUnit unit) {
        if (unit == null) {
            return;
        }
        Interrupts.handedOver();
        try {
            research.giveBack(unit, AGENT);
        } catch (CommandException ignored) {
            // the lease runs out by itself
        }
    }

    private WorkUnit claim(JsonObject r) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + settings.claimPatience().toNanos();
        while (true) {
            // The coordinator holds the claim until work opens, within what patience is left.
            long leftS = Math.max(0, (deadline - System.nanoTime()) / 1_000_000_000L);
            ClaimResponse response = research.claimExplore(settings.direction(), null, settings.hypothesis(),
                    settings.hardwareClass(), (int) Math.min(Research.MAX_CLAIM_WAIT_S, leftS));
            if (response.hasUnit()) {
                WorkUnit unit = response.getUnit();
                r.addProperty("unit", unit.getId());
                r.addProperty("base", unit.getCommit());
                r.addProperty("claim_ms", (System.nanoTime() - started) / 1_000_000);
                progress.accept("claimed " + unit.getId() + " at " + CommitId.abbreviate(unit.getCommit()));
                return unit;
            }
            // Held for its whole wait already: claim again at once (a second's pause against a loop).
            long waitS = response.getWaited() ? 1 : Math.max(1, response.getRetryAfterS());
            if (System.nanoTime() + waitS * 1_000_000_000L > deadline) {
                r.addProperty("submitted", false);
                ErrorFields.put(r, "no_work", response.getReason(), "retry in " + response.getRetryAfterS() + " s");
                progress.accept("no work: " + response.getReason());
                return null;
            }
            progress.accept("no work yet (" + response.getReason() + "); retrying in " + waitS + " s");
            Thread.sleep(waitS * 1000);
        }
    }

    /** Commits whatever the command left uncommitted; false when HEAD is still the base and nothing changed. */
    static boolean commitChanges(Path ws, WorkUnit unit, String paperText, int round) throws IOException {
        try (Git git = Git.open(ws.toFile())) {
            if (!git.status().call().isClean()) {
                git.add().addFilepattern(".").call();
                git.add().addFilepattern(".").setUpdate(true).call();
                PersonIdent who = new PersonIdent("rhizome agent", "agent@rhizome.invalid");
                String message = paperText == null ? "" : PaperText.title(null, paperText, "");
                git.commit().setMessage(message.isBlank() ? "agent round " + round + " on " + unit.getDirection() : message)
                        .setAuthor(who).setCommitter(who).call();
            }
            ObjectId head = git.getRepository().resolve("HEAD");
            return head != null && !head.name().equals(unit.getCommit());
        } catch (GitAPIException e) {
            throw new IOException("cannot commit in " + ws + ": " + e.getMessage(), e);
        }
    }

    /**
     * The paper the agent command wrote, or null (a paper is then generated) when it wrote none or
     * one the coordinator would refuse: the round's commit is still worth submitting.
     */
    private String agentPaper(Path paperFile, int round) throws IOException {
        if (!Files.isRegularFile(paperFile)) {
            return null;
        }
        if (Files.size(paperFile) > RequestRules.MAX_PAPER_BODY_BYTES) {
            progress.accept("round " + round + ": the paper the command wrote is " + Files.size(paperFile)
                    + " bytes, over the " + RequestRules.MAX_PAPER_BODY_BYTES
                    + " accepted; a generated one goes with the commit");
            return null;
        }
        try {
            return Files.readString(paperFile, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            progress.accept("round " + round + ": the paper the command wrote is not UTF-8 text; a generated one goes "
                    + "with the commit");
            return null;
        }
    }

    private static String generatedPaper(Path ws, WorkUnit unit, AgentCommandRunner.Run run) throws IOException {
        Research.Head head = Research.head(ws);
        return "# " + (head.message().isBlank() ? "An agent's change" : head.message()) + "\n\n"
                + "Generated by `rhizome agent`: the agent command wrote no paper to $RHIZOME_PAPER.\n\n"
                + "- base: " + unit.getCommit() + "\n- commit: " + head.commit() + "\n- the command exited with "
                + run.exitCode() + (run.timedOut() ? " (timed out)" : "") + " after " + run.millis() + " ms\n";
    }

    private void count(ExperimentReport report) {
        if (report.getResultsCount() > 0) {
            withResults++;
        }
        if (report.getAdopted()) {
            adopted++;
        }
        if (report.getHasMetric()) {
            double m = report.getMetric();
            if (best == null || (report.getLowerIsBetter() ? m < best : m > best)) {
                best = m;
            }
        }
    }

    public JsonObject summary(int rounds) {
        JsonObject o = new JsonObject();
        o.addProperty("rounds", rounds);
        o.addProperty("submitted", submitted);
        o.addProperty("results", withResults);
        o.addProperty("adopted", adopted);
        o.addProperty("papers", papers);
        o.addProperty("best_metric", best);
        return o;
    }
}
