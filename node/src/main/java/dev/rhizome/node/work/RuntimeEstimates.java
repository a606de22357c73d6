package dev.rhizome.node.work;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
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
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a unit's job is expected to take on this node: the longest of the last runs of its
 * seed here (a pessimistic guess keeps the buffer from holding what it cannot finish), and
 * before any run the manifest's timeout. Never more than a job's wall-clock bound
 * ({@link JobClock}), the one bound every job respects. Thread-safe: slots record and ask concurrently.
 *
 * <p>Kept in a file of the node's data directory ({@link #FILE_NAME}), replaced whole at each run
 * recorded, so that a restarted node knows its seeds' runtimes (it forgot them, and guessed every
 * job to take its whole timeout until each seed had run here again). A file that cannot be read as
 * one is refused with a line saying why: the estimates start empty, as on a new node, and the file
 * is written anew at the next run.
 */
public final class RuntimeEstimates {
    private static final Logger log = LoggerFactory.getLogger(RuntimeEstimates.class);
    public static final String FILE_NAME = "runtimes.json";
    private static final int KEEP = 8;
    /** Seeds kept in the file: the ones run last (a node runs a few at a time). */
    static final int MAX_SEEDS = 256;
    /** A runtime longer than this (a week) is no measurement this node made. */
    static final long MAX_RUNTIME_MS = 7L * 24 * 3600 * 1000;
    private static final int MAX_SEED_CHARS = 200;
    private static final long MAX_FILE_BYTES = 1 << 20;

    private final Map<String, Deque<Long>> recent = new LinkedHashMap<>();
    private final Path file;

    /** Estimates in memory only. */
    public RuntimeEstimates() {
        this.file = null;
    }

    private RuntimeEstimates(Path file) {
        this.file = file;
    }

    /**
     * The estimates kept in {@code file}, which each run recorded replaces; none where there is no
     * file yet, or its content is refused (the reason is logged, and the file is written anew at the
     * next run).
     */
    public static RuntimeEstimates keptIn(Path file) {
        RuntimeEstimates estimates = new RuntimeEstimates(file);
        try {
            estimates.recent.putAll(read(file));
        } catch (NoSuchFileException e) {
            // a new node, or one from before the file
        } catch (IOException | IllegalArgumentException e) {
            log.warn("ignoring the kept job runtimes in {}: {}; each seed's runtime is measured again", file,
                    e.getMessage());
        }
        return estimates;
    }

    /** The runtimes kept in {@code file}, seed by seed; refused, naming the problem, unless the file is as written. */
    static Map<String, Deque<Long>> read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("the file is larger than " + MAX_FILE_BYTES + " bytes");
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonParseException | java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("it is not JSON (" + e.getMessage() + ")");
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("seeds")
                || !root.getAsJsonObject().get("seeds").isJsonObject()) {
            throw new IllegalArgumentException("it holds no object \"seeds\"");
        }
        Map<String, Deque<Long>> runs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().getAsJsonObject("seeds").entrySet()) {
            String seed = e.getKey();
            if (seed.isEmpty() || seed.length() > MAX_SEED_CHARS) {
                throw new IllegalArgumentException("a seed name is empty or longer than " + MAX_SEED_CHARS + " characters");
            }
            if (!e.getValue().isJsonArray() || e.getValue().getAsJsonArray().size() > KEEP) {
                throw new IllegalArgumentException("the runtimes of seed " + printable(seed) + " are not a list of at most "
                        + KEEP + " numbers");
            }
            Deque<Long> seedRuns = new ArrayDeque<>();
            for (JsonElement ms : e.getValue().getAsJsonArray()) {
                seedRuns.addLast(runtimeMs(seed, ms));
            }
            runs.put(seed, seedRuns);
        }
        if (runs.size() > MAX_SEEDS) {
            throw new IllegalArgumentException("it names " + runs.size() + " seeds, more than " + MAX_SEEDS);
        }
        return runs;
    }

    private static long runtimeMs(String seed, JsonElement ms) {
        if (ms.isJsonPrimitive() && ms.getAsJsonPrimitive().isNumber()) {
            double value = ms.getAsDouble();
            if (value >= 0 && value <= MAX_RUNTIME_MS && value == Math.rint(value)) {
                return (long) value;
            }
        }
        throw new IllegalArgumentException("seed " + printable(seed) + " has runtime " + printable(ms.toString())
                + ", not a whole number of milliseconds from 0 to " + MAX_RUNTIME_MS);
    }

    private static String printable(String text) {
        return dev.rhizome.node.job.JobText.printable(text, 80);
    }

    public synchronized void record(String seed, long runtimeMs) {
        Deque<Long> runs = recent.remove(seed);  // put back last: the seeds run longest ago leave first
        if (runs == null) {
            runs = new ArrayDeque<>();
        }
        runs.addLast(Math.max(0, Math.min(MAX_RUNTIME_MS, runtimeMs)));
        while (runs.size() > KEEP) {
            runs.removeFirst();
        }
        recent.put(seed, runs);
        while (recent.size() > MAX_SEEDS) {
            recent.remove(recent.keySet().iterator().next());
        }
        if (file != null) {
            try {
                DurableFiles.replace(file, json().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                log.warn("cannot keep the job runtimes in {}: {}; a restart measures them again", file, e.getMessage());
            }
        }
    }

    private String json() {
        JsonObject seeds = new JsonObject();
        recent.forEach((seed, runs) -> {
            JsonArray list = new JsonArray();
            runs.forEach(ms -> list.add(new JsonPrimitive(ms)));
            seeds.add(seed, list);
        });
        JsonObject root = new JsonObject();
        root.add("seeds", seeds);
        return new Gson().toJson(root);
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
}
