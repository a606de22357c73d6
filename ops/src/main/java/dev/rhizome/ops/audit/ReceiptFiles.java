package dev.rhizome.ops.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's receipts as a file: one {@link KeptReceipt} a line in proto3 JSON (bytes in base64), as
 * {@code rhizome node receipts --out} writes them and {@code rhizome verify --receipts} reads them.
 */
public final class ReceiptFiles {
    private ReceiptFiles() {
    }

    /** Writes {@code receipts} to {@code file} whole, replacing it atomically. */
    public static void write(Path file, List<KeptReceipt> receipts) throws IOException {
        StringBuilder text = new StringBuilder();
        for (KeptReceipt r : receipts) {
            text.append(Json.compact(r)).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        DurableFiles.replace(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a receipts file; a line that is no receipt is named with its number. */
    public static List<KeptReceipt> read(Path file) throws IOException {
        List<KeptReceipt> receipts = new ArrayList<>();
        int n = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    receipts.add(Json.parse(line, KeptReceipt.newBuilder()).build());
                } catch (InvalidProtocolBufferException e) {
                    throw new IOException(file + " line " + n + " is not a receipt (a file of `rhizome node receipts "
                            + "--out`): " + e.getMessage(), e);
                }
            }
        }
        return receipts;
    }
}
