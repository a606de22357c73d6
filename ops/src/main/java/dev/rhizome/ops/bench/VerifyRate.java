package dev.rhizome.ops.bench;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The physical limit of the coordinator: how many signed envelopes these cores can open and
 * verify per second, measured on the code path the coordinator runs for every request
 * ({@link Envelopes#openSignedBy}: parse, Ed25519 verify, parse the record). Also the CPU time one
 * verify takes (thread CPU time, not wall time), which stays right when other processes share the
 * cores and the rate itself drops.
 */
final class VerifyRate {
    private static final long WARMUP_MS = 700;
    private static final long MEASURE_MS = 1_500;

    /** @param perSecond verifies per wall-clock second on all threads; {@code cpuNanos} CPU time per verify */
    record Rate(double perSecond, double cpuNanos) {
    }

    private VerifyRate() {
    }

    static Rate measure(int threads, PrintStream progress) throws Exception {
        Identity runner = Identity.generate();
        SignedEnvelope envelope = Envelopes.sign(runner, "bench-network", Result.newBuilder().setWorkUnitId("bench-unit")
                .setCommit("0".repeat(40)).setMetric(2.0).setMetricName("val_bpb").setHardwareClass("cpu:bench")
                .setRunner(runner.publicId().toByteString()).setLogSha256(ByteString.copyFrom(new byte[32]))
                .setTimeMs(System.currentTimeMillis()).build());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            run(pool, threads, envelope, WARMUP_MS);
            long[] counted = run(pool, threads, envelope, MEASURE_MS);
            Rate rate = new Rate(counted[0] / (MEASURE_MS / 1000.0), (double) counted[1] / counted[0]);
            progress.printf("Ed25519 verify: %.0f envelopes/s on %d threads, %.1f us CPU each%n", rate.perSecond(),
                    threads, rate.cpuNanos() / 1000);
            return rate;
        } finally {
            pool.shutdownNow();
        }
    }

    /** @return verifies done and the CPU nanoseconds the threads spent on them */
    private static long[] run(ExecutorService pool, int threads, SignedEnvelope envelope, long ms) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<Future<long[]>> counts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            counts.add(pool.submit(() -> {
                long cpuStart = cpu.getCurrentThreadCpuTime();
                long n = 0;
                while (!stop.get()) {
                    Envelopes.openSignedBy(envelope, Result.getDefaultInstance(), Result::getRunner);
                    n++;
                }
                return new long[] {n, cpu.getCurrentThreadCpuTime() - cpuStart};
            }));
        }
        Thread.sleep(ms);
        stop.set(true);
        long total = 0;
        long cpuNanos = 0;
        for (Future<long[]> f : counts) {
            long[] r = f.get();
            total += r[0];
            cpuNanos += r[1];
        }
        return new long[] {total, cpuNanos};
    }
}
