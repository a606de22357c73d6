package dev.rhizome.node.hardware;

import dev.rhizome.protocol.WorkerFailures;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Samples one GPU's memory in use and utilisation while a job runs, by asking nvidia-smi (in a
 * child process with a deadline, like the probe) every few seconds. A sample the tool does not
 * answer is skipped; a job that ran with no answered sample records none.
 */
public final class GpuSampler {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GpuSampler.class);
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(5);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpu-sampler");
        t.setDaemon(true);
        return t;
    });

    /** What the samples of one job say. */
    public record Usage(long peakMemoryMiB, double meanUtilizationPercent, int samples) {
        public static final Usage NONE = new Usage(0, 0, 0);
    }

    /** Samples taken so far; the timer thread adds, the job's thread reads at the end. */
    private static final class Tally {
        private long peak;
        private double utilizationSum;
        private int samples;

        synchronized void add(long memoryMiB, double utilization) {
            peak = Math.max(peak, memoryMiB);
            utilizationSum += utilization;
            samples++;
        }

        synchronized Usage usage() {
            return samples == 0 ? Usage.NONE : new Usage(peak, utilizationSum / samples, samples);
        }
    }

    /** A running sampling, ended by {@link #stop()}. */
    public static final class Sampling {
        private final Tally tally;
        private final ScheduledFuture<?> task;

        private Sampling(Tally tally, ScheduledFuture<?> task) {
            this.tally = tally;
            this.task = task;
        }

        public Usage stop() {
            task.cancel(false);
            return tally.usage();
        }
    }

    private GpuSampler() {
    }

    public static Sampling start(int gpuIndex, Duration period) {
        Tally tally = new Tally();
        List<String> command = List.of("nvidia-smi", "--query-gpu=memory.used,utilization.gpu",
                "--format=csv,noheader,nounits", "-i", Integer.toString(gpuIndex));
        ScheduledFuture<?> task = TIMER.scheduleWithFixedDelay(WorkerFailures.periodic(LOG,
                        "the GPU sampler", () -> ChildCommand.output(command, TOOL_TIMEOUT)
                        .flatMap(GpuSampler::parse)
                        .ifPresent(s -> tally.add(s.memoryMiB(), s.utilizationPercent()))),
                0, period.toMillis(), TimeUnit.MILLISECONDS);
        return new Sampling(tally, task);
    }

    record Sample(long memoryMiB, double utilizationPercent) {
    }

    /** One {@code memory.used, utilization.gpu} line; "[N/A]" or junk is no sample. */
    static Optional<Sample> parse(String csv) {
        String line = csv.strip().split("\n")[0];
        String[] fields = line.split(",");
        if (fields.length != 2) {
            return Optional.empty();
        }
        try {
            long memory = Long.parseLong(fields[0].trim());
            double utilization = Double.parseDouble(fields[1].trim());
            return Optional.of(new Sample(memory, utilization));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

}
