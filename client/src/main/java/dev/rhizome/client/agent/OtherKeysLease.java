package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Instant;
import java.util.Optional;

/**
 * A unit this data directory never claimed may be another agent's lease: two agents on one
 * direction see each other's units in `brief` and `log`, and the second one's `submit --unit
 * <the other's unit>` was refused as {@code unknown_unit} ("claim it first"), so it never learned
 * that the unit is held, by whom, or that only that key can submit under it. The coordinator knows
 * the holder; this asks it, after the local refusal and only then (a lookup that fails leaves the
 * local refusal as it was).
 */
final class OtherKeysLease {
    /** The error an agent acts on: claim its own unit, not retry this one. */
    static final String ERROR = "held_by_another_key";

    private OtherKeysLease() {
    }

    /**
     * {@code held_by_another_key} (exit 4) when the coordinator leases {@code unitId} to a key other
     * than {@code own}; empty when it does not lease it, leases it to {@code own} (another data
     * directory of the same key: the local refusal says to pass that one), or cannot be asked.
     */
    static Optional<CommandException> of(CoordinatorClient client, ByteString own, String unitId, String option,
            FollowUp where) {
        try {
            Optional<UnitStatus> u = lookUp(client, unitId);
            if (u.isPresent() && u.get().getState() == UnitStatus.State.LEASED && !u.get().getHolder().isEmpty()
                    && !u.get().getHolder().equals(own)) {
                return Optional.of(refusal(u.get(), own, option, where));
            }
        } catch (CoordinatorException | RuntimeException e) {
            // the local refusal stands: it is true, only less helpful
        }
        return Optional.empty();
    }

    /**
     * The unit {@code unitId} as the coordinator has it: one row by its id, the way since round 35
     * (paging through every LEASED unit cost a request per 100 of them). A coordinator older than
     * that refuses the {@code unit} parameter (400, "not one this route knows"), and the answer was
     * the local refusal alone; it is asked the way it answers, a page at a time. The row is checked to be the one asked for,
     * whichever way it came.
     */
    private static Optional<UnitStatus> lookUp(CoordinatorClient client, String unitId) throws CoordinatorException {
        try {
            return client.unit(unitId).filter(u -> u.getUnit().getId().equals(unitId));
        } catch (CoordinatorException e) {
            if (!olderRoute(e)) {
                throw e;
            }
        }
        return client.units(UnitStatus.State.LEASED.name()).getUnitsList().stream()
                .filter(u -> u.getUnit().getId().equals(unitId)).findFirst();
    }

    /**
     * An answer that says the coordinator does not know {@code GET /v1/units?unit=}: a 400 (the
     * parameter refused) or a 404 ({@link CoordinatorClient#unit} answers a 404 about the unit itself
     * as empty, so one that reaches here is about the route).
     */
    private static boolean olderRoute(CoordinatorException e) {
        return e.status() == 400 || e.status() == 404;
    }

    private static CommandException refusal(UnitStatus u, ByteString own, String option, FollowUp where) {
        String direction = u.getUnit().getDirection();
        String holder = PublicId.hex(u.getHolder());
        String message = "unit " + u.getUnit().getId() + " is held by another key (" + holder + ", until "
                + Instant.ofEpochMilli(u.getUnit().getLeaseDeadlineMs()) + "), not by yours ("
                + PublicId.hex(own) + "): only its holder can submit, renew or give it back";
        String hint = "it is another agent's claim of direction " + direction + ": see what it tried with `"
                + where.command("log --direction " + Shell.quote(direction)) + "`, and claim a unit of your own with `"
                + where.command("claim --direction " + Shell.quote(direction) + " --workspace " + NewWorkspace.beside(direction))
                + "`; if that key is yours, pass the --data-dir that claimed the unit (the one where `rhizome id --data-dir DIR` prints "
                + holder + ")";
        return new CommandException(ExitCodes.REFUSED, ERROR, message, hint, option);
    }
}
