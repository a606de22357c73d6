package dev.rhizome.ops.bench;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The physical limit of the coordinator: how many signed envelopes these cores can open and
 * verify per second, measured on the code path the coordinator runs for every request
 * ({@link Envelopes#openSignedBy}: parse, Ed25519 verify, parse the record).
 */
final class VerifyRate {
    private static final long WARMUP_MS = 700;
    private static final long MEASURE_MS = 1_500;

    private VerifyRate() {
    }

    static double measure(int threads, PrintStream progress) throws Exception {
        Identity runner = Identity.generate();
        SignedEnvelope envelope = Envelopes.sign(runner, Result.newBuilder().setWorkUnitId("bench-unit")
                .setCommit("0".repeat(40)).setMetric(2.0).setMetricName("val_bpb").setHardwareClass("cpu:bench")
                .setRunner(runner.publicId().toByteString()).setLogSha256(ByteString.copyFrom(new byte[32]))
                .setTimeMs(System.currentTimeMillis()).build());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            run(pool, threads, envelope, WARMUP_MS);
            long verified = run(pool, threads, envelope, MEASURE_MS);
            double rate = verified / (MEASURE_MS / 1000.0);
            progress.printf("Ed25519 verify: %.0f envelopes/s on %d threads%n", rate, threads);
            return rate;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long run(ExecutorService pool, int threads, SignedEnvelope envelope, long ms) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<Long>> counts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            counts.add(pool.submit(() -> {
                long n = 0;
                while (!stop.get()) {
                    Envelopes.openSignedBy(envelope, Result.getDefaultInstance(), Result::getRunner);
                    n++;
                }
                return n;
            }));
        }
        Thread.sleep(ms);
        stop.set(true);
        long total = 0;
        for (Future<Long> f : counts) {
            total += f.get();
        }
        return total;
    }
}
