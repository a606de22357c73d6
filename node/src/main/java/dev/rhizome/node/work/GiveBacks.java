package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.file.attribute.FileTime;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The units this node gives back unrun ({@code POST /v1/leases/give-back}) until the coordinator has
 * heard: each is kept in a file of its own in the data directory (written whole before it is sent,
 * as the outbox keeps results) and sent again, backing off, until the coordinator acknowledges it
 * ("given back" or "nothing given back"), refuses it (409: not this node's, or a coordinator older
 * than the route), or the lease's deadline has passed (it is then open again anyway). Sent once, a
 * give-back that met a coordinator down or restarting left the unit leased to nobody who would run
 * it until that deadline; and a stop or a kill lost it with the process. Files an earlier process
 * left are sent by this one ({@link #round}).
 *
 * <p>A give-back is signed afresh at each attempt, so the coordinator cannot tell a resend of one
 * it already heard from a give-back of a later lease of the same unit: a node killed after the 200
 * and before the file's delete, whose restart claims the reopened unit again, would give back its
 * own new lease. Before each attempt the node's buffer is asked when a slot's file holding the unit
 * was written ({@code heldSince}): a slot forgets a unit right after keeping its give-back, so one
 * written after the give-back's file holds a later lease, and the give-back is done unsent (the
 * earlier lease is over, since the unit was leased again).
 */
public final class GiveBacks {
    private static final Logger log = LoggerFactory.getLogger(GiveBacks.class);
    private static final String SUFFIX = ".give-back";
    static final long FIRST_RETRY_MS = 1_000;
    static final long MAX_RETRY_MS = 60_000;

    /**
     * A unit to give back: which slot held it, why it is given back, until when it is leased to this
     * node, and whether its job was starved of a CPU (LeaseGiveBack.starved: the coordinator bounds those).
     */
    public record Pending(String unitId, String slot, String reason, long leaseDeadlineMs, boolean starved) {
        /** One given back for another reason than a starved job: paused, stopping. */
        public Pending(String unitId, String slot, String reason, long leaseDeadlineMs) {
            this(unitId, slot, reason, leaseDeadlineMs, false);
        }
    }

    /** Sends one give-back, signed afresh (its time must be inside the coordinator's replay window). */
    public interface Sender {
        void send(Pending pending) throws CoordinatorException;
    }

    /** What follows an attempt: done (acknowledged, refused, or past its deadline), or another try at {@code atMs}. */
    record Next(boolean done, long atMs) {
        static final Next DONE = new Next(true, 0);
    }

    private final Path dir;
    private final Sender sender;
    private final LongSupplier clock;
    private final Function<String, Optional<FileTime>> heldSince;
    /** Attempts so far and the next one's time, by unit: a restart starts each afresh, at once. */
    private final Map<String, Next> retries = new ConcurrentHashMap<>();
    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
    /** Give-backs the disk refused to keep: sent from memory for as long as this process runs. */
    private final Map<String, Pending> unkept = new ConcurrentHashMap<>();

    public GiveBacks(Path dir, Sender sender, LongSupplier clock) throws IOException {
        this(dir, sender, clock, unit -> Optional.empty());
    }

    /**
     * @param heldSince when the file in which one of this node's slots holds a unit now (buffered or
     *     claimed ahead) was written, empty when none holds it ({@link UnitBuffer#heldSince})
     */
    public GiveBacks(Path dir, Sender sender, LongSupplier clock, Function<String, Optional<FileTime>> heldSince)
            throws IOException {
        this.dir = Files.createDirectories(dir);
        this.sender = sender;
        this.clock = clock;
        this.heldSince = heldSince;
        renameOldFiles();
    }

    /**
     * Gives each file an earlier version named by its unit's id made plain ({@link UnitFileNames#legacy})
     * the name that is its unit's now, so that it is sent, found by {@link #holds} and deleted when heard.
     * Where two units shared a name then, only the last one's give-back was kept: its lease runs out for the other.
     */
    private void renameOldFiles() {
        try {
            UnitFileNames.renameOldFiles(dir, SUFFIX, f -> read(f).map(Pending::unitId),
                    UnitFileNames.WhenBothNamed.DELETE_OLD);  // a give-back of the same unit kept since
        } catch (IOException e) {
            log.warn("cannot rename the give-backs in {} to their units' names ({}): those of units whose ids hold "
                    + "characters other than letters, digits, '.', '_' and '-' are left to their leases", dir, e.getMessage());
        }
    }

    /**
     * After an attempt that got {@code status} (0: no answer; else the HTTP status, 200 for
     * acknowledged) and was the {@code attempt}th: whether the give-back is done, and when to try
     * again. A refusal ends it (409 not ours, 404 no such route or unit, 400), except 429 (too many
     * requests: asked again when told); no answer or a 5xx is tried again, 1 s doubling to a minute,
     * until the lease's deadline, after which the unit is open to the next claim anyway. Pure.
     */
    static Next after(int status, long retryAfterS, int attempt, long nowMs, long leaseDeadlineMs) {
        if (status == 200 || (status >= 400 && status < 500 && status != 429)) {
            return Next.DONE;
        }
        long backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(16, Math.max(0, attempt - 1)));
        long at = nowMs + Math.max(backoff, TimeUnit.SECONDS.toMillis(retryAfterS));
        return at >= leaseDeadlineMs ? Next.DONE : new Next(false, at);
    }

    /**
     * Keeps {@code pending} until the coordinator hears of it; false when the disk refused it (it is
     * then tried from memory while this process runs, and a restart would not know of it).
     */
    public boolean keep(Pending pending) {
        try {
            Properties p = new Properties();
            p.setProperty("unit", pending.unitId());
            p.setProperty("slot", pending.slot());
            p.setProperty("reason", pending.reason());
            p.setProperty("lease_deadline_ms", Long.toString(pending.leaseDeadlineMs()));
            p.setProperty("starved", Boolean.toString(pending.starved()));
            StringWriter text = new StringWriter();
            p.store(text, null);
            DurableFiles.replace(file(pending.unitId()), text.toString().getBytes(StandardCharsets.UTF_8));
            CrashPoints.at(CrashPoints.GIVE_BACK_KEPT);
            return true;
        } catch (IOException e) {
            log.warn("{}: the give-back of unit {} could not be written ({}); it is sent from memory, and lost to a "
                    + "restart", pending.slot(), pending.unitId(), e.getMessage());
            unkept.put(pending.unitId(), pending);
            return false;
        }
    }

    /** Whether a give-back of this unit waits to be heard: a unit buffered before a kill that has one is not run. */
    public boolean holds(String unitId) {
        return unkept.containsKey(unitId) || Files.exists(file(unitId));
    }

    /** The give-backs waiting, those an earlier process left included; a torn file is deleted (its lease runs out). */
    List<Pending> pending() {
        List<Pending> all = new ArrayList<>(unkept.values());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                read(f).ifPresent(all::add);
            }
        } catch (IOException e) {
            log.warn("cannot list the give-backs in {}: {}", dir, e.getMessage());
        }
        return all;
    }

    private Optional<Pending> read(Path f) {
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
            return Optional.of(new Pending(p.getProperty("unit"), p.getProperty("slot", "?"), p.getProperty("reason", ""),
                    Long.parseLong(p.getProperty("lease_deadline_ms")),
                    // a file from before round 35 says nothing of it: given back as not starved, as then
                    Boolean.parseBoolean(p.getProperty("starved", "false"))));
        } catch (IOException | RuntimeException e) {
            log.warn("dropping the unreadable give-back {} ({}): its unit's lease runs out instead", f.getFileName(),
                    e.toString());
            forget(f);
            return Optional.empty();
        }
    }

    /** Sends each give-back that is due (the reporter's pass, every couple of seconds); the number still waiting. */
    public synchronized int round() {
        int waiting = 0;
        for (Pending p : pending()) {
            Next next = retries.get(p.unitId());
            if (next == null || next.atMs() <= clock.getAsLong()) {
                attempt(p);
            }
            if (holds(p.unitId())) {
                waiting++;
            }
        }
        return waiting;
    }

    /**
     * At an orderly stop: one attempt at every give-back waiting, all at once, for at most {@code patience};
     * what is not heard by then stays kept for the next start. The units still waiting.
     */
    synchronized List<Pending> sendAllWithin(Duration patience) {
        List<Pending> all = pending();
        if (all.isEmpty()) {
            return List.of();
        }
        ExecutorService senders = Executors.newFixedThreadPool(Math.min(all.size(), 8), r -> {
            Thread t = new Thread(r, "give-back");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (Pending p : all) {
                sent.add(senders.submit(() -> attempt(p)));
            }
            long until = System.nanoTime() + patience.toNanos();
            for (Future<?> f : sent) {
                try {
                    f.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (Exception e) {
                    // timed out or failed: it stays kept
                }
            }
        } finally {
            senders.shutdownNow();
        }
        return all.stream().filter(p -> holds(p.unitId())).toList();
    }

    private void attempt(Pending p) {
        long now = clock.getAsLong();
        if (now >= p.leaseDeadlineMs()) {
            log.info("{}: unit {} not given back: its lease ran out at {} before the coordinator heard; it is open to "
                    + "the next claim now", p.slot(), p.unitId(), Instant.ofEpochMilli(p.leaseDeadlineMs()));
            done(p);
            return;
        }
        if (leasedAgain(p)) {
            log.info("{}: unit {} not given back again: this node holds a later lease on it, so the coordinator "
                    + "heard the give-back of the earlier one", p.slot(), p.unitId());
            done(p);
            return;
        }
        int attempt = attempts.merge(p.unitId(), 1, Integer::sum);
        try {
            sender.send(p);
            CrashPoints.at(CrashPoints.GIVE_BACK_HEARD);
            log.info("{}: gave unit {} back unrun: {}", p.slot(), p.unitId(), p.reason());
            done(p);
        } catch (CoordinatorException e) {
            long at = clock.getAsLong();
            Next next = after(e.status(), e.retryAfterSeconds(), attempt, at, p.leaseDeadlineMs());
            if (next.done()) {
                // refused: no longer this node's (another's now: 409), or a coordinator older than the
                // route (404); or no answer until the deadline, which opens the unit anyway
                log.info("{}: unit {} not given back ({}); its lease runs out at {}", p.slot(), p.unitId(),
                        e.getMessage(), Instant.ofEpochMilli(p.leaseDeadlineMs()));
                done(p);
            } else {
                if (attempt == 1) {
                    log.info("{}: unit {} not given back yet ({}); kept, and sent again until the coordinator hears or "
                            + "its lease runs out at {}", p.slot(), p.unitId(), e.getMessage(),
                            Instant.ofEpochMilli(p.leaseDeadlineMs()));
                }
                retries.put(p.unitId(), next);
            }
        }
    }

    /** Whether a slot took the unit into its buffer after this give-back was kept: a later lease of it. */
    private boolean leasedAgain(Pending p) {
        Optional<FileTime> held = heldSince.apply(p.unitId());
        if (held.isEmpty()) {
            return false;
        }
        try {
            return held.get().compareTo(Files.getLastModifiedTime(file(p.unitId()))) > 0;
        } catch (IOException unkept) {
            return false;  // kept in memory only: this process gave it back, and its slot had forgotten it then
        }
    }

    private void done(Pending p) {
        retries.remove(p.unitId());
        attempts.remove(p.unitId());
        unkept.remove(p.unitId());
        forget(file(p.unitId()));
    }

    private static void forget(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", f, e.getMessage());
        }
    }

    /** One file to a unit ({@link UnitFileNames}): two ids that differ never share one. */
    Path file(String unitId) {
        return dir.resolve(UnitFileNames.of(unitId) + SUFFIX);
    }
}
