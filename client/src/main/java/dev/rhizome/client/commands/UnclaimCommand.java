package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.ClaimedUnitOption;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Gives a claimed unit back without submitting anything. Before it, an agent that claimed and
 * changed its mind had no way to end its lease: the unit stayed leased to it until its deadline,
 * holding one of the direction's EXPLORE leases (agents share four) meanwhile.
 */
@Command(name = "unclaim", mixinStandardHelpOptions = true,
        description = {"Give a claimed unit back without submitting (its lease ends now and the direction's capacity",
            "is free for others). The workspace stays as it is; nothing in it is sent."})
public final class UnclaimCommand implements Callable<Integer> {
    private static final String UNCLAIM = "`rhizome unclaim`";
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Mixin
    ClaimedUnitOption claimed;
    @Option(names = "--json", description = "Print one JSON object: unit, given_back (false when the unit was no longer "
            + "yours: nothing was given back), reason (null, or lease_expired: its lease had already run out; not_leased: "
            + "the coordinator had closed it or leased it again), hint (what to do then; null when given back).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return claimed.naming(this::run);
    }

    private Integer run() {
        String unitId = claimed.resolve(dataDir, coordinator);
        Research research = new Research(Coordinators.client(coordinator, dataDir), dataDir.path());
        WorkUnit unit = research.load(unitId, claimed.option(), claimed.workspaceOf(unitId));
        // a lease that had run out gave nothing back, though it answered given_back: true; the
        // coordinator may still close it (its holder's), so it is told all the same
        boolean expired = unit.getLeaseDeadlineMs() < System.currentTimeMillis();
        // a refusal (the lease ran out, or the unit was closed) ends in the same place: not leased to you
        boolean taken = research.giveBack(unit, UNCLAIM);
        String reason = expired ? "lease_expired" : taken ? null : "not_leased";
        try {
            // again where the coordinator refused (the unit was no longer this key's): gone either way
            ClaimFiles.givenBack(dataDir.path(), unit, UNCLAIM);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "the unit was given back, but its claim in "
                    + dataDir.path() + " could not be removed: " + e.getMessage(), "remove " + dataDir.path()
                    .resolve("claims").resolve(unitId + ".pb") + " by hand");
        }
        Output out = new Output(System.out);
        FollowUp where = FollowUp.of(coordinator, dataDir);
        String claimAgain = "`" + where.command("claim --direction " + Shell.quote(unit.getDirection()) + " --workspace "
                + NewWorkspace.beside(unit.getDirection())) + "`";
        String hint = reason == null ? null : ("lease_expired".equals(reason)
                ? "nothing to do for this unit; to go on with its work, " + Research.expiredHint(unit, claimed.workspaceOf(unitId), where)
                : "nothing to do for this unit; claim another with " + claimAgain);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("unit", unitId);
            o.addProperty("given_back", reason == null);
            o.addProperty("reason", reason);
            o.addProperty("hint", hint);
            out.json(o);
        } else if (reason == null) {
            out.line("gave unit " + unitId + " back; " + ClaimFiles.givenBackHint(unit.getDirection(),
                    CommitId.abbreviate(unit.getCommit()), claimed.workspaceOf(unitId), where));
        } else {
            out.line("unit " + unitId + " was no longer leased to you, so nothing was given back: "
                    + ("lease_expired".equals(reason) ? "its lease had ended at " + Instant.ofEpochMilli(unit.getLeaseDeadlineMs())
                            : "the coordinator had closed it or leased it to another") + "; its claim here is forgotten");
            out.line(hint);
        }
        return ExitCodes.OK;
    }
}
