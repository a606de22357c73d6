package dev.rhizome.node.work;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The coordinator's signed receipts for this node's results, each beside the result it names,
 * kept so that an export that dropped or moved one can be shown to ({@code rhizome verify
 * --receipts}). One file a result, named by the result's envelope id and written whole through
 * {@link DurableFiles}: a kill between the coordinator's answer and the write, or a write the disk
 * refuses, leaves that receipt unkept only until the result, still in the outbox
 * ({@link AckedResults}), is sent again and its "already recorded" answer carries the receipt
 * again; never a file half written. Bounded: past {@link #MAX_KEPT} the oldest go.
 */
public final class ReceiptBook {
    /** The directory's name, beside the outbox's ({@code NodeLayout.receipts}). */
    public static final String DIR_NAME = "receipts";
    /** Receipts kept at most (some 1 KiB each): years of a volunteer's results. */
    public static final int MAX_KEPT = 20_000;
    private static final String SUFFIX = ".receipt";
    private static final Pattern NAME = Pattern.compile("[0-9]{20}-[0-9a-f]{64}\\" + SUFFIX);

    private final Path dir;
    private final int maxKept;

    public ReceiptBook(Path dir) {
        this(dir, MAX_KEPT);
    }

    /** The book kept beside the outbox {@code outboxDir}. */
    public static ReceiptBook besideOutbox(Path outboxDir) {
        return new ReceiptBook(outboxDir.toAbsolutePath().resolveSibling(DIR_NAME));
    }

    ReceiptBook(Path dir, int maxKept) {
        this.dir = dir;
        this.maxKept = maxKept;
    }

    /**
     * Keeps {@code receipt} (the Ack's) beside {@code result}; nothing when the coordinator sent
     * none (one older than receipts). Named by the receipt's time, so the oldest sort first.
     */
    public void keep(SignedEnvelope receipt, SignedEnvelope result) throws IOException {
        if (receipt.getPayload().isEmpty() && receipt.getSignature().isEmpty()) {
            return;
        }
        long timeMs;
        try {
            // its own word, unchecked here: it only orders the files (verify checks the signature)
            timeMs = ResultReceipt.parseFrom(receipt.getPayload()).getTimeMs();
        } catch (InvalidProtocolBufferException e) {
            timeMs = 0;
        }
        Files.createDirectories(dir);
        String name = String.format("%020d-%s%s", Math.max(0, timeMs), Envelopes.id(result), SUFFIX);
        DurableFiles.replace(dir.resolve(name),
                KeptReceipt.newBuilder().setReceipt(receipt).setResult(result).build().toByteArray());
        List<Path> all = files();
        for (int i = 0; i < all.size() - maxKept; i++) {
            Files.deleteIfExists(all.get(i));
        }
    }

    /** Every receipt kept, oldest first; a file that does not parse (not one of ours) is skipped. */
    public List<KeptReceipt> all() throws IOException {
        List<KeptReceipt> kept = new ArrayList<>();
        for (Path f : files()) {
            try {
                kept.add(KeptReceipt.parseFrom(Files.readAllBytes(f)));
            } catch (InvalidProtocolBufferException notOurs) {
                // a receipt is written whole or not at all; anything else in the directory is no receipt
            }
        }
        return kept;
    }

    private List<Path> files() throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : ds) {
                if (NAME.matcher(f.getFileName().toString()).matches()) {
                    files.add(f);
                }
            }
        }
        files.sort(null);
        return files;
    }
}
