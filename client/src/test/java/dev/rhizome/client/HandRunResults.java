package dev.rhizome.client;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;

/**
 * Results the crash tests report by hand for a leased unit, without running its job: they need a
 * well-formed OK result at a crash point, not a training run, so only what settlement reads is set
 * (the unit's identity fields, the hardware class the runner claimed with, a metric).
 */
final class HandRunResults {
    private HandRunResults() {
    }

    static Result ok(WorkUnit unit, Identity runner, String hardwareClass, String metricName, double metric) {
        return Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setParent(unit.getParent())
                .setStatus(Result.Status.OK).setMetricName(metricName).setMetric(metric)
                .setHardwareClass(hardwareClass).setRuntimeMs(1000).setRunner(runner.publicId().toByteString())
                .setProposer(unit.getProposer()).setTimeMs(System.currentTimeMillis()).setBudget(unit.getBudget())
                .setRandomSeed(unit.getRandomSeed()).build();
    }
}
