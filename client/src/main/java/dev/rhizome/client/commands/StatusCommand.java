package dev.rhizome.client.commands;

import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.CoordinatorStats;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome status --coordinator http://HOST:7700",
            "  rhizome status --json"},
        name = "status", mixinStandardHelpOptions = true, description = {"The coordinator's counters.",
            "--json: one object of numbers (seeds, directions, experiments, results, papers, units_open, units_leased,",
            "units_done, leases_expired, rejected_signatures, nodes) and network_id, the network's id (a string)."})
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--json", description = "Print one JSON object: seeds, directions, experiments, results, papers, units_open, units_leased, units_done, leases_expired, rejected_signatures, nodes (all numbers), network_id (the id of the network the coordinator serves, which every signed record names: a string), receipt_key (the key, base64, this coordinator instance signs result receipts with; receipt_key_id: the same in hex) and receipt_keys (every instance's of its store), operators (the keys, base64, of its operators, whose signed orders `rhizome verify` checks; empty where anyone may act), operator_history (a signed envelope of every key its store has had as an operator and when, which an export carries so that a rotated-out operator's orders still verify; absent where none was configured).")
    boolean json;

    @Override
    public Integer call() {
        CoordinatorStats s = Coordinators.read(coordinator, dataDir, CoordinatorClient::stats);
        Output out = new Output(System.out);
        if (json) {
            out.json(Output.toJson(s));
        } else {
            out.printf("seeds %d, directions %d, experiments %d, results %d, papers %d, nodes %d%n", s.getSeeds(),
                    s.getDirections(), s.getExperiments(), s.getResults(), s.getPapers(), s.getNodes());
            out.printf("units: %d open, %d leased, %d done, %d leases expired; %d signatures rejected%n",
                    s.getUnitsOpen(), s.getUnitsLeased(), s.getUnitsDone(), s.getLeasesExpired(), s.getRejectedSignatures());
            out.printf("network %s%n", s.getNetworkId());
        }
        return ExitCodes.OK;
    }
}
