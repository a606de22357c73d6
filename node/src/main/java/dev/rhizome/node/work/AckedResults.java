package dev.rhizome.node.work;

import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets an acknowledged result leave the outbox once its receipt is kept, and not before: killed in
 * between, or refused the receipt's write (a full disk), the node still holds the result and sends
 * it again; the coordinator answers "already recorded" with the same receipt (signed again over the
 * stored place and time), which is kept then. A receipt whose write failed used to be lost for good,
 * the result gone from the outbox all the same.
 *
 * <p>A write that keeps failing (a disk full for hours, a receipts directory the node may not
 * write) is asked for again less and less often ({@link #RETRY_FIRST_MS} doubling to
 * {@link #RETRY_MAX_MS}), told at WARN when it starts, when its reason changes and every
 * {@link #REMIND_MS} while it lasts (at DEBUG between), and shown by {@link #unkept()} in
 * {@code node status}: it used to be sent again and warned about every two seconds, for as long as
 * it lasted, with nothing in the status to say why the outbox did not empty.
 */
public final class AckedResults {
    private static final Logger log = LoggerFactory.getLogger(AckedResults.class);

    public static final long RETRY_FIRST_MS = 10_000;
    static final long RETRY_MAX_MS = 10 * 60_000;
    static final long REMIND_MS = 30 * 60_000;

    /**
     * Results the coordinator stored whose receipts could not be kept yet ({@code results}), since
     * when ({@code sinceMs}: the first failure of this spell), and the latest failure's reason.
     */
    public record Unkept(int results, long sinceMs, String problem) {
    }

    /** One result waiting for its receipt to be written: its failures so far and when to ask again. */
    private record Retry(int failures, long nextMs) {
    }

    private final ResultOutbox outbox;
    private final ReceiptBook receipts;
    private final LongSupplier nowMs;
    /** Results the coordinator stored whose receipts could not be kept yet, by outbox file name. */
    private final Map<String, Retry> stored = new ConcurrentHashMap<>();
    private long spellSinceMs;
    private String problem;
    private long warnedMs;

    public AckedResults(ResultOutbox outbox, ReceiptBook receipts, LongSupplier nowMs) {
        this.outbox = outbox;
        this.receipts = receipts;
        this.nowMs = nowMs;
    }

    /**
     * Keeps {@code ack}'s receipt, then removes the result; false when the receipt could not be
     * kept: the result stays in the outbox, to be sent again once {@link #due} says so.
     */
    public boolean settle(ResultOutbox.Pending pending, Ack ack) throws IOException {
        String name = pending.file().getFileName().toString();
        try {
            receipts.keep(ack.getReceipt(), pending.envelope());
        } catch (IOException e) {
            failed(name, e);
            return false;
        }
        CrashPoints.at(CrashPoints.RECEIPT_KEPT);
        outbox.remove(pending);
        kept(name);
        return true;
    }

    /** Whether the result under {@code outboxName} may be sent now: not while its receipt's retry waits. */
    public boolean due(String outboxName) {
        Retry retry = stored.get(outboxName);
        return retry == null || nowMs.getAsLong() >= retry.nextMs();
    }

    /** Whether the coordinator acknowledged the result kept under {@code outboxName}, its receipt not kept yet. */
    boolean storedWithoutReceipt(String outboxName) {
        return stored.containsKey(outboxName);
    }

    /** The results whose receipts could not be kept, for {@code node status}; empty when none wait. */
    public synchronized Optional<Unkept> unkept() {
        return stored.isEmpty() ? Optional.empty() : Optional.of(new Unkept(stored.size(), spellSinceMs, problem));
    }

    private synchronized void failed(String name, IOException e) {
        long now = nowMs.getAsLong();
        String reason = e.toString() + (DiskRoom.isFull(e) ? ": the disk is full" : "");
        boolean starts = stored.isEmpty();
        Retry before = stored.get(name);
        int failures = before == null ? 1 : before.failures() + 1;
        long wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS << Math.min(failures - 1, 20));
        stored.put(name, new Retry(failures, now + wait));
        if (starts) {
            spellSinceMs = now;
        }
        boolean changed = !reason.equals(problem);
        problem = reason;
        if (starts || changed || now - warnedMs >= REMIND_MS) {
            warnedMs = now;
            log.warn("the coordinator stored result {}, but its receipt could not be kept ({}); {} results wait in the "
                    + "outbox for their receipts (for {} s), each sent again for it at waits doubling to {} minutes; "
                    + "free space or fix the permissions of the node's data directory (`rhizome node status` shows "
                    + "them; this line again in {} minutes while it lasts, or when the reason changes)", name, reason,
                    stored.size(), (now - spellSinceMs) / 1000, RETRY_MAX_MS / 60_000, REMIND_MS / 60_000);
        } else {
            log.debug("receipt of result {} not kept again ({}), next try in {} s", name, reason, wait / 1000);
        }
    }

    /**
     * The result under {@code outboxName} left the outbox without its receipt (the coordinator
     * refused it when it was sent again for it, a coordinator restored from an older backup): it
     * waits for none any more, and the status must not count it for good.
     */
    public synchronized void dropped(String outboxName) {
        if (stored.remove(outboxName) != null && stored.isEmpty()) {
            problem = null;
        }
    }

    private synchronized void kept(String name) {
        if (stored.remove(name) != null && stored.isEmpty()) {
            log.info("receipts are kept again: every result the coordinator stored in the last {} s has its receipt",
                    (nowMs.getAsLong() - spellSinceMs) / 1000);
            problem = null;
        }
    }
}
