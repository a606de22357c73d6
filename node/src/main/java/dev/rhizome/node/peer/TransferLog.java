package dev.rhizome.node.peer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Append-only audit trail of completed fetches, one JSON object per line:
 * {@code {"time":…,"commit":…,"source":"host:port","node":<hex>,"bytes":…,"millis":…}}.
 */
public final class TransferLog {
    private final Path file;

    public TransferLog(Path file) {
        this.file = file;
    }

    /** Appends one line for a transfer; a commit that was already held moved nothing and is not logged. */
    public synchronized void record(FetchResult result) {
        if (result.alreadyHad()) {
            return;
        }
        String line = "{\"time\":" + quote(Instant.now().toString())
                + ",\"commit\":" + quote(result.commit())
                + ",\"source\":" + quote(result.from().getHost() + ":" + result.from().getPort())
                + ",\"node\":" + quote(PublicId.hex(result.from().getNode()))
                + ",\"bytes\":" + result.bytes()
                + ",\"millis\":" + result.millis() + "}\n";
        try {
            // A kill -9 mid-append leaves a line without its end: appended to, it would swallow this
            // record into the torn one, and the reader skips both.
            String start = endsTorn(file) ? "\n" : "";
            Files.writeString(file, start + line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to transfer log " + file, e);
        }
    }

    private static boolean endsTorn(Path file) throws IOException {
        try (java.io.RandomAccessFile in = new java.io.RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            if (length == 0) {
                return false;
            }
            in.seek(length - 1);
            return in.read() != '\n';
        } catch (java.io.FileNotFoundException absent) {
            return false;
        }
    }

    /** Sums a log; a missing file is an empty log, and a torn line (a crash mid-write) is skipped. */
    public static Totals read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Totals(0, 0, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read transfer log " + file, e);
        }
        long transfers = 0;
        long bytes = 0;
        Map<String, Long> bySource = new TreeMap<>();
        for (String line : lines) {
            Map<String, Value> fields;
            try {
                fields = Json.parse(line, Struct.newBuilder()).getFieldsMap();
            } catch (InvalidProtocolBufferException e) {
                continue;
            }
            long lineBytes = (long) fields.getOrDefault("bytes", Value.getDefaultInstance()).getNumberValue();
            transfers++;
            bytes += lineBytes;
            bySource.merge(fields.getOrDefault("source", Value.getDefaultInstance()).getStringValue(), lineBytes, Long::sum);
        }
        return new Totals(transfers, bytes, bySource);
    }

    public record Totals(long transfers, long bytes, Map<String, Long> bytesBySource) {
        public Totals {
            bytesBySource = Map.copyOf(bytesBySource);
        }
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
