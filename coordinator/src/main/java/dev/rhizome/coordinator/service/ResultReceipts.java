package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.store.AuditTrail;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.OperatorHistory;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * Signs the receipt a runner gets for each result stored: this instance's own key (kept beside
 * its store, {@link #KEY_DIR}) over {network, envelope id, audit index, time}, in an envelope for
 * the network, so that it opens as a {@code ResultReceipt} and as nothing else. A runner holding
 * one can show that the result was accepted at that place in the trail, which an export that
 * dropped, altered or moved it cannot match ({@code rhizome verify --receipts}).
 */
public final class ResultReceipts {
    /** The directory under the coordinator's data directory that holds its receipt key. */
    public static final String KEY_DIR = "receipt-key";

    private final Store store;
    private final Clock clock;
    private final Identity key;
    private final Supplier<String> network;
    private volatile boolean kept;

    public ResultReceipts(Store store, Clock clock, Identity key, Supplier<String> network) {
        this.store = store;
        this.clock = clock;
        this.key = key;
        this.network = network;
    }

    /** This instance's key, made on first start in {@code dataDir}/{@value #KEY_DIR} and the same on every later one. */
    public static Identity loadKey(Path dataDir) throws IOException {
        return IdentityStore.loadOrCreate(dataDir.resolve(KEY_DIR));
    }

    /**
     * The receipt for the stored result {@code envelopeId} at {@code at}. Its index is the
     * envelope's key less one: on SQLite, whose keys have no gaps, its position in the trail; on
     * PostgreSQL, where a rolled-back insert leaves a gap, its position or past it, never before.
     */
    public SignedEnvelope sign(String envelopeId, AuditTrail.Accepted at) {
        keepKey();
        String net = network.get();
        return Envelopes.sign(key, net, ResultReceipt.newBuilder().setNetwork(net).setEnvelopeId(envelopeId)
                .setAuditIndex(at.seq() - 1).setTimeMs(at.receivedMs()).build());
    }

    /** {@code stats} naming this instance's key and every instance's of the store. */
    public CoordinatorStats named(CoordinatorStats stats) {
        keepKey();
        return stats.toBuilder().setReceiptKey(key.publicId().toByteString())
                .addAllReceiptKeys(store.inReadTransaction(AuditTrail::receiptKeys)).build();
    }

    /**
     * {@code stats} with the store's operator terms signed by this instance's key for the network
     * ({@code operator_history}), which an export's header carries; unchanged where no term is kept
     * (an open coordinator's store, or one no operator-naming instance has started on since round 38).
     */
    public CoordinatorStats withOperatorHistory(CoordinatorStats stats) {
        List<OperatorTerm> terms = store.inReadTransaction(tx -> tx.operatorTerms());
        if (terms.isEmpty()) {
            return stats;
        }
        keepKey();
        String net = network.get();
        return stats.toBuilder().setOperatorHistory(Envelopes.sign(key, net, OperatorHistory.newBuilder()
                .setNetwork(net).addAllTerms(terms).setSignedMs(clock.millis()).build())).build();
    }

    public ByteString publicKey() {
        return key.publicId().toByteString();
    }

    /**
     * Kept in the store once per process, before its first receipt or naming: the store may not
     * answer at start (a coordinator waits for it), and an export must name every key that signed.
     */
    private void keepKey() {
        if (!kept) {
            store.inTransaction(tx -> {
                tx.keepReceiptKey(key.publicId().toByteString(), clock.millis());
                return null;
            });
            kept = true;
        }
    }
}
