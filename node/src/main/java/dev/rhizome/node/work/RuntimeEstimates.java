package dev.rhizome.node.work;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import dev.rhizome.node.job.JobClock;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a unit's job is expected to take on this node: the longest of the last runs of its
 * seed here (a pessimistic guess keeps the buffer from holding what it cannot finish), and
 * before any run the manifest's timeout. Never more than a job's wall-clock bound
 * ({@link JobClock}), the one bound every job respects. Thread-safe: slots record and ask concurrently.
 *
 * <p>Kept in the data directory ({@link #FILE_NAME}, JSON: seed to its recent runs in ms) when made
 * with {@link #kept}: after a restart the node judged every unit by its manifest's timeout until a
 * job finished, and claimed what it had measured it could not finish in a fixed lease. Written
 * whole at each record (DurableFiles); a torn or unreadable file is named in the log and ignored.
 */
public final class RuntimeEstimates {
    public static final String FILE_NAME = "runtime-estimates.json";
    private static final Logger log = LoggerFactory.getLogger(RuntimeEstimates.class);
    private static final int KEEP = 8;
    /** Seeds kept: a node runs a handful; the claim sends all (LeaseFit.MAX_SEEDS on the coordinator). */
    static final int MAX_SEEDS = 128;
    private static final Gson GSON = new Gson();
    private final Map<String, Deque<Long>> recent = new LinkedHashMap<>();
    private final Path file;

    /** Estimates in memory only. */
    public RuntimeEstimates() {
        this.file = null;
    }

    private RuntimeEstimates(Path file) {
        this.file = file;
    }

    /** Estimates read from {@code file} (none where it is missing, torn or unreadable), written back at each record. */
    public static RuntimeEstimates kept(Path file) {
        RuntimeEstimates estimates = new RuntimeEstimates(file);
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Map<String, List<Long>> read = GSON.fromJson(text, new TypeToken<Map<String, List<Long>>>() { }.getType());
            if (read == null) {
                throw new JsonParseException("empty");
            }
            read.forEach((seed, runs) -> {
                if (seed != null && runs != null) {
                    runs.stream().filter(ms -> ms != null && ms >= 0).forEach(ms -> estimates.remember(seed, ms));
                }
            });
        } catch (NoSuchFileException e) {
            // a node's first start: nothing measured yet
        } catch (IOException | RuntimeException e) {
            // a torn write cannot happen through DurableFiles, but a disk can fail, or a hand edit:
            // measured again, each seed's first run
            log.warn("ignoring the runtime estimates in {}: unreadable ({}); each seed is expected to take its "
                    + "manifest's timeout until a job of it finishes", file, e.getMessage());
            estimates.recent.clear();
        }
        return estimates;
    }

    public synchronized void record(String seed, long runtimeMs) {
        remember(seed, runtimeMs);
        if (file == null) {
            return;
        }
        try {
            // under the lock: two slots' records renamed out of order would keep the older snapshot
            DurableFiles.replace(file, GSON.toJson(recent).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.warn("could not keep the runtime estimates in {} ({}); they hold until the node stops", file,
                    e.getMessage());
        }
    }

    private synchronized void remember(String seed, long runtimeMs) {
        Deque<Long> runs = recent.remove(seed);
        if (runs == null) {
            runs = new ArrayDeque<>();
        }
        recent.put(seed, runs);  // the most recently run last: the oldest seed is forgotten first
        runs.addLast(runtimeMs);
        while (runs.size() > KEEP) {
            runs.removeFirst();
        }
        while (recent.size() > MAX_SEEDS) {
            recent.remove(recent.keySet().iterator().next());
        }
    }

    public synchronized long expectedMs(WorkUnit unit) {
        long timeoutMs = Math.max(1, unit.getManifest().getTimeoutSeconds()) * 1000L;
        Deque<Long> runs = recent.get(unit.getSeed());
        if (runs == null || runs.isEmpty()) {
            return timeoutMs;
        }
        // A job charged its CPU time may run to its wall-clock bound on a busy machine (JobClock): a node
        // whose jobs did is expected to again, and claims no unit ahead that it could not start in time.
        long boundMs = timeoutMs * JobClock.WALL_BOUND_FACTOR;
        return Math.min(boundMs, runs.stream().mapToLong(Long::longValue).max().orElse(timeoutMs));
    }

    /**
     * What this node measured each seed's jobs take, for its claims ({@code expected_ms_by_seed}): the
     * longest of the recent runs, seeds it has not run left out (the coordinator knows their timeout).
     */
    public synchronized Map<String, Long> measuredMsBySeed() {
        Map<String, Long> measured = new HashMap<>();
        recent.forEach((seed, runs) -> runs.stream().mapToLong(Long::longValue).max()
                .ifPresent(ms -> measured.put(seed, ms)));
        return measured;
    }
}
