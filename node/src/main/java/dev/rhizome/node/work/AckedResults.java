package dev.rhizome.node.work;

import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.proto.v1.Ack;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets an acknowledged result leave the outbox once its receipt is kept, and not before: killed in
 * between, or refused the receipt's write (a full disk), the node still holds the result and sends
 * it again; the coordinator answers "already recorded" with the same receipt (signed again over the
 * stored place and time), which is kept then. A receipt whose write failed used to be lost for good,
 * the result gone from the outbox all the same.
 */
final class AckedResults {
    private static final Logger log = LoggerFactory.getLogger(AckedResults.class);

    private final ResultOutbox outbox;
    private final ReceiptBook receipts;
    /** Results the coordinator stored whose receipts could not be kept yet, by outbox file name. */
    private final Set<String> stored = ConcurrentHashMap.newKeySet();

    AckedResults(ResultOutbox outbox, ReceiptBook receipts) {
        this.outbox = outbox;
        this.receipts = receipts;
    }

    /**
     * Keeps {@code ack}'s receipt, then removes the result; false when the receipt could not be
     * kept: the result stays in the outbox, to be sent again.
     */
    boolean settle(ResultOutbox.Pending pending, Ack ack) throws IOException {
        try {
            receipts.keep(ack.getReceipt(), pending.envelope());
        } catch (IOException e) {
            log.warn("the coordinator stored result {}, but its receipt could not be kept ({}{}); the result stays in "
                    + "the outbox and is sent again for its receipt", pending.file().getFileName(), e.toString(),
                    DiskRoom.isFull(e) ? ": the disk is full" : "");
            stored.add(pending.file().getFileName().toString());
            return false;
        }
        outbox.remove(pending);
        stored.remove(pending.file().getFileName().toString());
        return true;
    }

    /** Whether the coordinator acknowledged the result kept under {@code outboxName}, its receipt not kept yet. */
    boolean storedWithoutReceipt(String outboxName) {
        return stored.contains(outboxName);
    }
}
