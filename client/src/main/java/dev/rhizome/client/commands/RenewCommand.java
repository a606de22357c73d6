package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.ClaimedUnitOption;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "renew", mixinStandardHelpOptions = true,
        description = {"Extend the lease on a claimed unit, before it runs out (an expired lease cannot be renewed:",
            "claim the same commit again and submit the workspace under the new unit, as its refusal says).",
            "Prints the new deadline and the seconds left."})
public final class RenewCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Mixin
    ClaimedUnitOption claimed;
    @Option(names = "--json", description = "Print one JSON object: unit, lease_deadline_ms, lease_seconds_left.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return claimed.naming(this::run);
    }

    private Integer run() {
        String unitId = claimed.resolve(dataDir, coordinator);
        // the workspace the unit's work is in, when it is the one claimed for it: a refusal's hint names it
        long deadline = new Research(Coordinators.client(coordinator, dataDir), dataDir.path())
                .renew(unitId, claimed.option(), claimed.workspaceOf(unitId));
        long left = Math.max(0, (deadline - System.currentTimeMillis()) / 1000);
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("unit", unitId);
            o.addProperty("lease_deadline_ms", deadline);
            o.addProperty("lease_seconds_left", left);
            out.json(o);
        } else {
            out.line("lease on " + unitId + " extended to " + Instant.ofEpochMilli(deadline) + " (" + left + " s left)");
        }
        return ExitCodes.OK;
    }
}
