package dev.rhizome.client.agent;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.rhizome.protocol.LoadScaledBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An EXPLORE unit a command was leased, until it is the user's (`claim` printed it) or closed
 * (`agent` submitted on it, or released it): a command that ends before that (a signal, a failure
 * after the grant) gives it back at once, or the unit stays leased to nobody until its deadline
 * and holds one of the direction's EXPLORE leases meanwhile.
 */
public final class UnitGiveBack implements Interrupts.Undo {
    /**
     * How long an interrupted claim waits for the claim's answer, and then for the give-back: 10 s
     * on a machine with a core to spare, longer on a loaded one (up to a minute; a second Ctrl-C
     * still exits at once). A fixed 10 s left the unit leased (`given_back: false`) at load 40 on
     * 2 cores, where a cold JVM's give-back to a coordinator as loaded took longer than that.
     */
    static final LoadScaledBudget PATIENCE = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60));

    private final Research research;
    private final Path workspace;
    private final String unused;
    private final String by;
    private final CompletableFuture<WorkUnit> granted = new CompletableFuture<>();

    /**
     * {@code workspace}: the directory the claim fills (null: none), which the user must empty
     * before using it again; {@code unused}: why the unit was not the user's yet, in words;
     * {@code by}: the command that gives it back, as a later `submit` of the unit names it.
     */
    public UnitGiveBack(Research research, Path workspace, String unused, String by) {
        this.research = research;
        this.workspace = workspace;
        this.unused = unused;
        this.by = by;
    }

    /** What to do next, and about a workspace the claim had begun to fill. */
    private String next(String base) {
        if (workspace != null && Files.exists(workspace)) {
            return base + "; remove " + workspace.toAbsolutePath() + " (partly filled) or give another --workspace";
        }
        return base;
    }

    /** The claim's answer came: this unit (null when none was leased, or the claim failed). */
    public void granted(WorkUnit unit) {
        granted.complete(unit);
    }

    /**
     * A failure after the grant: gives the unit back now and returns {@code failure} saying so, in
     * its message and as {@code unit_id} and {@code given_back} in its JSON object, as an
     * interrupted claim's answer has them (unchanged when nothing was leased). It gave the unit
     * back in silence, so an agent could not tell whether it still held a lease to renew or unclaim.
     */
    public CommandException failed(CommandException failure) {
        WorkUnit unit = granted.getNow(null);
        if (unit == null) {
            return failure;
        }
        Interrupts.Undone undone = giveBackNow(unit);
        return failure.with(undone.sentence(), undone.keys());
    }

    @Override
    public Interrupts.Undone undo() {
        WorkUnit unit;
        try {
            unit = granted.get(PATIENCE.now().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            JsonObject keys = new JsonObject();
            keys.addProperty("given_back", false);
            // the claim stays in the data directory's claims in flight: the next claim there sends it again
            return new Interrupts.Undone("the claim was sent but its answer did not come within "
                    + PATIENCE.now().toSeconds() + " s: the next `rhizome claim` or `agent` of this --data-dir, within "
                    + "4 minutes, sends it again and takes over or gives back a unit it leased; after that, such a "
                    + "unit stays leased until its deadline",
                    keys, next("check the coordinator (`" + research.followUp().command("status") + "`), then claim again"));
        } catch (ExecutionException | InterruptedException e) {
            return null;
        }
        if (unit == null) {
            return null;  // nothing was leased: the plain interrupted answer
        }
        return giveBackNow(unit);
    }

    /** Gives {@code unit} back, within {@link #PATIENCE}; what was done, for the user. */
    private Interrupts.Undone giveBackNow(WorkUnit unit) {
        JsonObject keys = new JsonObject();
        keys.addProperty("unit_id", unit.getId());
        try {
            giveBack(unit);
            keys.addProperty("given_back", true);
            return new Interrupts.Undone("unit " + unit.getId() + " was given back to the coordinator ("
                    + unused + ")", keys,
                    next("nothing is leased to you: claim again when you are ready (`" + claimAgain(unit) + "`)"));
        } catch (TimeoutException | ExecutionException | InterruptedException | RuntimeException e) {
            keys.addProperty("given_back", false);
            String why = e instanceof TimeoutException ? "no answer within " + PATIENCE.now().toSeconds() + " s"
                    : Problems.describe(e instanceof ExecutionException x && x.getCause() != null ? x.getCause() : e);
            return new Interrupts.Undone("unit " + unit.getId() + " could not be given back (" + why
                    + "): it stays leased until " + Instant.ofEpochMilli(unit.getLeaseDeadlineMs()), keys,
                    next("claim again (`" + claimAgain(unit) + "`); the unit returns to the pool at its deadline"));
        }
    }

    /** The claim to run again: the unit's direction, this command's --data-dir and --coordinator. */
    private String claimAgain(WorkUnit unit) {
        return research.followUp().command("claim --direction " + Shell.quote(unit.getDirection())
                + (workspace == null ? "" : " --workspace " + NewWorkspace.beside(unit.getDirection())));
    }

    private void giveBack(WorkUnit unit) throws TimeoutException, ExecutionException, InterruptedException {
        // an EXPLORE unit closed with no commits (`claim` leases no other kind);
        // on a thread of its own, so a coordinator that does not answer bounds only this wait
        // (a thread of its own, not the common pool: on 2 cores that pool has one thread, which
        // anything else of the process queued there would hold)
        CompletableFuture.runAsync(() -> research.giveBack(unit, by), task -> {
            Thread t = new Thread(task, "give-back");
            t.setDaemon(true);
            t.start();
        }).get(PATIENCE.now().toMillis(), TimeUnit.MILLISECONDS);
    }
}
