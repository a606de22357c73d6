package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.proto.v1.WorkUnit;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The unit `claim` was leased, until `claim` hands it to its user by printing it: a claim that
 * ends before that (a signal, a failure after the grant) gives it back at once, or the unit stays
 * leased to nobody until its deadline and holds one of the direction's EXPLORE leases meanwhile.
 */
final class ClaimGiveBack implements Interrupts.Undo {
    /** How long an interrupted claim waits for the claim's answer, and then for the give-back. */
    static final Duration PATIENCE = Duration.ofSeconds(10);

    private final Research research;
    private final CompletableFuture<WorkUnit> granted = new CompletableFuture<>();

    ClaimGiveBack(Research research) {
        this.research = research;
    }

    /** The claim's answer came: this unit (null when none was leased, or the claim failed). */
    void granted(WorkUnit unit) {
        granted.complete(unit);
    }

    /** A failure after the grant: gives the unit back now, quietly (the failure is what the user hears about). */
    void failed() {
        WorkUnit unit = granted.getNow(null);
        if (unit != null) {
            try {
                giveBack(unit);
            } catch (RuntimeException | TimeoutException | ExecutionException | InterruptedException ignored) {
                // the lease runs out by itself; the failure being reported matters more
            }
        }
    }

    @Override
    public Interrupts.Undone undo() {
        WorkUnit unit;
        try {
            unit = granted.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            JsonObject keys = new JsonObject();
            keys.addProperty("given_back", false);
            return new Interrupts.Undone("the claim was sent but its answer did not come within "
                    + PATIENCE.toSeconds() + " s: a unit it leased stays leased until its deadline",
                    keys, "check the coordinator (`rhizome status`), then claim again");
        } catch (ExecutionException | InterruptedException e) {
            return null;
        }
        if (unit == null) {
            return null;  // nothing was leased: the plain interrupted answer
        }
        JsonObject keys = new JsonObject();
        keys.addProperty("unit_id", unit.getId());
        try {
            giveBack(unit);
            keys.addProperty("given_back", true);
            return new Interrupts.Undone("unit " + unit.getId() + " was given back to the coordinator "
                    + "(it had not been handed to you yet)", keys,
                    "nothing is leased to you: claim again when you are ready (`rhizome claim --help`)");
        } catch (TimeoutException | ExecutionException | InterruptedException | RuntimeException e) {
            keys.addProperty("given_back", false);
            String why = e instanceof TimeoutException ? "no answer within " + PATIENCE.toSeconds() + " s"
                    : Problems.describe(e instanceof ExecutionException x && x.getCause() != null ? x.getCause() : e);
            return new Interrupts.Undone("unit " + unit.getId() + " could not be given back (" + why
                    + "): it stays leased until " + Instant.ofEpochMilli(unit.getLeaseDeadlineMs()), keys,
                    "claim again; the unit returns to the pool at its deadline");
        }
    }

    private void giveBack(WorkUnit unit) throws TimeoutException, ExecutionException, InterruptedException {
        // an EXPLORE unit closed with no commits (`claim` leases no other kind);
        // on a thread of its own, so a coordinator that does not answer bounds only this wait
        CompletableFuture.runAsync(() -> research.release(unit, List.of()))
                .get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    }
}
