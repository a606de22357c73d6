package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.agent.SeenMarks;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.Paging;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.envelope.Verified;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "results", mixinStandardHelpOptions = true,
        description = "List signed results, each verified here against its runner's key.")
public final class ResultsCommand implements Callable<Integer> {
    static final int PAGE = 100;
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = "Only this direction.", paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--commit", paramLabel = "COMMIT", description = "Only results for this commit (a unique prefix of 4+ hex digits is enough).")
    String commit;
    // named and bounded as `papers` and `leaderboard` name theirs; no default, so a listing read
    // whole before the flag existed stays whole
    @Option(names = "--limit", converter = Bounded.PositiveInt.class, description = "At most this many results, the newest "
            + "(default: all of them); they are listed oldest first, as without it.", paramLabel = "N")
    Integer limit;
    @Option(names = "--after", arity = "0..1", paramLabel = "CURSOR", description = "Page through the results, oldest "
            + "first, --limit (default " + PAGE + ") at a time: with no value from the first, else from the `next` of the "
            + "previous --json answer (none is lost or repeated however many arrive meanwhile).")
    String after;
    @Option(names = "--new", description = "Only the results filed on --direction since this data directory last ran "
            + "`results --new` there at this coordinator, oldest first, --limit (default " + PAGE + ") at a time (run it "
            + "again while more_new is true); the first time, the newest --limit. Each run marks what it showed as seen.")
    boolean onlyNew;
    @Option(names = "--json", description = "Print one JSON object: results (each a Result record, its runner also as runner_id, with signature and log_sha256_hex), valid_signatures and invalid_signatures (over what `counted` says: all (the whole listing, read without --limit or with a --limit above 1000, those it leaves out too), newest (--limit N: the newest N, read at the coordinator) or page (--after, --new: the page's)), counted, next (the --after value for the next page; null on the last page and without --after), new (whether --new was given), first_look (--new with no mark yet: the newest were shown), more_new (with --new: more arrived than --limit showed).")
    boolean json;

    private boolean firstLook;
    private boolean moreNew;

    /** With --new: what was filed since the kept mark (the newest page the first time), and the mark moved past it. */
    private EnvelopeList readNew() {
        if (direction == null || commit != null || after != null) {
            throw CommandException.usage(direction == null ? "--direction" : commit != null ? "--commit" : "--after",
                    "--new needs --direction, and goes with neither --commit nor --after",
                    "`" + FollowUp.of(coordinator, dataDir).command("results --direction "
                            + Shell.quote(ImpliedDirection.forHint(direction, coordinator)) + " --new")
                            + "`: what was filed on that direction since you last ran it");
        }
        SeenMarks marks = new SeenMarks(dataDir.path());
        return Coordinators.read(coordinator, dataDir, c -> {
            Coordinators.direction(c, direction, FollowUp.of(coordinator, dataDir));
            var mark = marks.get(c, "results", direction);
            int size = Paging.size(limit, PAGE);
            EnvelopeList l;
            if (mark.isPresent()) {
                l = c.resultsPage(direction, null, size, mark.get());
                moreNew = !l.getNext().isEmpty();
            } else {
                firstLook = true;
                EnvelopeList newest = c.newestResults(direction, size);
                List<SignedEnvelope> oldestFirst = new ArrayList<>(newest.getEnvelopesList());
                Collections.reverse(oldestFirst);
                l = newest.toBuilder().clearEnvelopes().addAllEnvelopes(oldestFirst).build();
            }
            marks.put(c, "results", direction, l.getNewest());
            return l;
        });
    }

    /**
     * The whole listing, with --after one page of it, or with --limit N (at most a page) the newest
     * N read at the coordinator (one request, not the whole listing), put oldest first as the
     * listing is shown.
     */
    private EnvelopeList read() {
        return Coordinators.read(coordinator, dataDir, c -> {
            if (direction != null) {
                Coordinators.direction(c, direction, FollowUp.of(coordinator, dataDir));
            }
            // a prefix is resolved to the one registered commit it names, as in `wait`
            Research research = new Research(c, dataDir.path());
            String full = commit == null ? null : research.resolveCommit("--commit", direction, commit);
            EnvelopeList results;
            if (after != null) {
                results = c.resultsPage(direction, full, Paging.size(limit, PAGE), after);
            } else if (newestOnly()) {
                List<SignedEnvelope> oldestFirst = new ArrayList<>(c.newestResults(direction == null ? "" : direction,
                        full == null ? "" : full, limit).getEnvelopesList());
                Collections.reverse(oldestFirst);
                results = EnvelopeList.newBuilder().addAllEnvelopes(oldestFirst).build();
            } else {
                results = c.results(direction, full);
            }
            // a full id is taken as given: none of its results may be a typo, not a commit nobody ran
            if (full != null && results.getEnvelopesCount() == 0 && (after == null || after.isEmpty())
                    && !research.registered(direction, full)) {
                throw research.unknownCommitNearest("--commit", direction, full);
            }
            return results;
        });
    }

    /** --limit without --after or --new, within a page: the coordinator reads the newest N; above a page, the listing is cut here. */
    private boolean newestOnly() {
        return limit != null && after == null && !onlyNew && limit <= Paging.MAX_PAGE;
    }

    /** What valid_signatures and invalid_signatures count (--json's `counted`). */
    private String counted() {
        return after != null || onlyNew ? "page" : newestOnly() ? "newest" : "all";
    }

    @Override
    public Integer call() {
        EnvelopeList listed;
        try {
            listed = onlyNew ? readNew() : read();
        } catch (RuntimeException e) {
            throw Paging.badCursor(e);
        }
        SignedResults checked = SignedResults.check(listed.getEnvelopesList());
        String next = after == null ? null : Paging.next(listed.getNext());
        List<Verified<Result>> valid = checked.valid();
        // a page is shown whole: --limit already sized it at the coordinator
        List<Verified<Result>> shown = after != null || onlyNew || limit == null || valid.size() <= limit ? valid
                : valid.subList(valid.size() - limit, valid.size());
        Output out = new Output(System.out);
        if (json) {
            JsonArray arr = new JsonArray();
            for (Verified<Result> v : shown) {
                JsonObject o = Output.toJson(v.record()).getAsJsonObject();
                o.addProperty("signature", "valid");
                o.addProperty("log_sha256_hex", HexFormat.of().formatHex(v.record().getLogSha256().toByteArray()));
                arr.add(o);
            }
            JsonObject o = new JsonObject();
            o.add("results", arr);
            o.addProperty("valid_signatures", checked.valid().size());
            o.addProperty("invalid_signatures", checked.invalid().size());
            o.addProperty("counted", counted());
            o.addProperty("next", next);
            o.addProperty("new", onlyNew);
            o.addProperty("first_look", firstLook);
            o.addProperty("more_new", moreNew);
            out.json(o);
            return ExitCodes.OK;
        }
        // SEED: adoption pairs a candidate with its parent seed by seed, so a reader compares rows of the same seed
        out.printf("%-12s %-14s %-8s %10s %10s %8s %-28s %-12s%n", "COMMIT", "DIRECTION", "STATUS", "METRIC", "SEED",
                "SECONDS", "HARDWARE", "RUNNER");
        for (Verified<Result> v : shown) {
            Result r = v.record();
            out.printf("%-12s %-14s %-8s %10s %10s %8.1f %-28s %-12s%n", CommitId.abbreviate(r.getCommit()),
                    r.getDirection(), r.getStatus(),
                    r.getStatus() == Result.Status.OK ? String.format("%.4f", r.getMetric()) : "-",
                    Long.toUnsignedString(r.getRandomSeed()),
                    r.getRuntimeMs() / 1000.0, r.getHardwareClass(), v.signer().shortForm());
        }
        out.line(valid.size() + " results with valid signatures, " + checked.invalid().size() + " invalid"
                + (after != null ? " on this page" : newestOnly() ? " among the newest " + limit : "")
                + (onlyNew ? (firstLook ? ", the newest (first look from this data directory; from now on --new shows "
                        + "only what arrives)" : " new since you last looked") : "")
                + (moreNew ? "; more arrived: run it again" : "")
                + (shown.size() < valid.size() ? "; the newest " + shown.size() + " shown (--limit)" : ""));
        if (next != null) {
            out.line("next page: --after " + next);
        }
        checked.invalid().forEach(reason -> out.line("  invalid: " + reason));
        return ExitCodes.OK;
    }
}
