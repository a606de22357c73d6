package dev.rhizome.ops.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.node.api.BoundedBody;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.ReadRetry;
import dev.rhizome.node.api.ListPages;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.SeedCommitment;
import dev.rhizome.proto.v1.AuditEnd;
import dev.rhizome.proto.v1.AuditHeader;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SealedEnvelope;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a coordinator's signed history and its derived claims to a file, in the format of
 * {@link AuditLine}: one proto3 JSON object per line, sealed by an {@link AuditEnd}. Written to a
 * temporary file and moved into place ({@link DurableFiles}), so an interrupted export leaves no
 * half file behind; a half file made otherwise is told as truncated by {@link #read}.
 */
public final class AuditExport {
    public static final String FORMAT = "rhizome-audit-v1";

    private AuditExport() {
    }

    /** What was written. */
    public record Summary(int envelopes, int trials, int adoptions, int directions, boolean confirmationsUnavailable) {
        public Summary(int envelopes, int trials, int adoptions, int directions) {
            this(envelopes, trials, adoptions, directions, false);
        }
    }

    /** The path a coordinator older than the confirmation stage answers 404 to. */
    static final String CONFIRMATIONS = "/v1/confirmations";

    /** Told, after each page of the audit trail is written, how many envelopes the file holds so far. */
    @FunctionalInterface
    public interface Progress {
        void envelopesWritten(long count);
    }

    public static Summary export(URI coordinator, Path file, long nowMs, Progress progress) throws IOException {
        return export(coordinator, file, nowMs, CoordinatorClient.MAX_ANSWER_BYTES, progress, ReadRetry.Waits.NOBODY);
    }

    /** The same, telling {@code waits} of each wait for a page refused {@code 429} (the CLI says it on standard error). */
    public static Summary export(URI coordinator, Path file, long nowMs, Progress progress, ReadRetry.Waits waits)
            throws IOException {
        return export(coordinator, file, nowMs, CoordinatorClient.MAX_ANSWER_BYTES, progress, waits);
    }

    public static Summary export(URI coordinator, Path file, long nowMs, long maxPageBytes, Progress progress)
            throws IOException {
        return export(coordinator, file, nowMs, maxPageBytes, progress, ReadRetry.Waits.NOBODY);
    }

    /**
     * Pages are written as they arrive (the trail of a long-lived coordinator is far larger than one
     * answer), so the export holds one page of envelopes or trials at a time; only the directions
     * and the adoptions, a handful each, are held whole. They are read in the order the claims
     * depend on the records: the trail first, so that every adoption and trial read after it rests
     * on envelopes already in the file (what arrives meanwhile is appended to the trail, never
     * inserted).
     *
     * @param maxPageBytes the largest answer read for one page, as the coordinator client bounds its
     *                     answers: whatever answers at the URL could otherwise send an endless body
     */
    public static Summary export(URI coordinator, Path file, long nowMs, long maxPageBytes, Progress progress,
            ReadRetry.Waits waits) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        Files.createDirectories(file.toAbsolutePath().getParent());
        int[] counts = new int[3];  // envelopes, trials, lines
        List<DirectionStatus> directions = new ArrayList<>();
        List<Adoption> adoptions = new ArrayList<>();
        // the network the coordinator serves, named in the header so that `rhizome verify` need not
        // guess it from the first record signed for one
        CoordinatorStats stats = get(http, maxPageBytes, waits, coordinator, "/v1/stats", CoordinatorStats.parser());
        String network = stats.getNetworkId();
        // A coordinator older than the confirmation stage has no such list: the export says so in
        // its header and goes on without it, rather than failing whole. One look, at one entry of
        // the whole list: a well-formed ask the coordinator answers 200 (a made-up direction name
        // was a 404 it logged as a refusal on every export).
        boolean confirmationsServed = getIfServed(http, maxPageBytes, waits, coordinator,
                CONFIRMATIONS + "?limit=1", ConfirmationList.parser()) != null;
        DurableFiles.replace(file, out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            LineWriter lw = line -> {
                write(w, line);
                counts[2]++;
            };
            AuditHeader.Builder header = AuditHeader.newBuilder();
            if (stats.hasOperatorHistory()) {
                // which keys were operators when, signed: an order of a key rotated out since still checks
                header.setOperatorHistory(stats.getOperatorHistory());
            }
            lw.write(AuditLine.newBuilder().setHeader(header.setFormat(FORMAT)
                    .setCoordinator(coordinator.toString()).setExportedMs(nowMs).setSealed(true).setNetwork(network)
                    .setConfirmationsUnavailable(!confirmationsServed)
                    // every instance's of the store, so receipts from any of them check against this file
                    .addAllReceiptKeys(stats.getReceiptKeysList())
                    // whose signed orders (closures, bans, re-queues) in the trail are an operator's
                    .addAllOperators(stats.getOperatorsList())).build());
            forEachPage(http, maxPageBytes, waits, coordinator, "/v1/audit", EnvelopeList.parser(), page -> {
                // a sealed result (its trial had a replica out) keeps its place: its id, not its envelope
                for (AuditLine line : inOrder(page)) {
                    lw.write(line.toBuilder().setIndex(counts[0]++).build());
                }
                progress.envelopesWritten(counts[0]);
            });
            forEachPage(http, maxPageBytes, waits, coordinator, "/v1/directions", DirectionList.parser(),
                    page -> directions.addAll(page.getDirectionsList()));
            forEachPage(http, maxPageBytes, waits, coordinator, "/v1/adoptions", AdoptionList.parser(),
                    page -> adoptions.addAll(page.getAdoptionsList()));
            for (DirectionStatus d : directions) {
                forEachPage(http, maxPageBytes, waits, coordinator, "/v1/trials?direction="
                        + URLEncoder.encode(d.getDirection().getName(), StandardCharsets.UTF_8), TrialList.parser(), page -> {
                    for (Trial t : page.getTrialsList()) {
                        lw.write(AuditLine.newBuilder().setTrial(t).build());
                    }
                    counts[1] += page.getTrialsCount();
                });
            }
            for (DirectionStatus d : confirmationsServed ? directions : List.<DirectionStatus>of()) {
                forEachPage(http, maxPageBytes, waits, coordinator, CONFIRMATIONS + "?direction="
                        + URLEncoder.encode(d.getDirection().getName(), StandardCharsets.UTF_8), ConfirmationList.parser(), page -> {
                    for (SeedCommitment c : page.getSeedCommitmentsList()) {
                        lw.write(AuditLine.newBuilder().setSeedCommitment(c).build());
                    }
                    for (Confirmation c : page.getConfirmationsList()) {
                        lw.write(AuditLine.newBuilder().setConfirmation(c).build());
                    }
                });
            }
            for (Adoption a : adoptions) {
                lw.write(AuditLine.newBuilder().setAdoption(a).build());
            }
            for (DirectionStatus d : directions) {
                lw.write(AuditLine.newBuilder().setDirection(d).build());
            }
            write(w, AuditLine.newBuilder().setEnd(AuditEnd.newBuilder().setLines(counts[2])).build());
            w.flush();
        });
        return new Summary(counts[0], counts[1], adoptions.size(), directions.size(), !confirmationsServed);
    }

    /**
     * A page's places in the trail's order, each an envelope or a sealed result's id: the sealed
     * ones stand at their {@code position}s, the envelopes fill the rest in order.
     */
    static List<AuditLine> inOrder(EnvelopeList page) throws IOException {
        int size = page.getEnvelopesCount() + page.getSealedCount();
        AuditLine[] lines = new AuditLine[size];
        for (SealedEnvelope s : page.getSealedList()) {
            if (s.getPosition() >= size || lines[s.getPosition()] != null) {
                throw new IOException("GET /v1/audit: the page names a sealed result at position "
                        + s.getPosition() + ", not a free place of its " + size);
            }
            lines[s.getPosition()] = AuditLine.newBuilder().setSealedEnvelope(s).setId(s.getId()).build();
        }
        int next = 0;
        for (int i = 0; i < size; i++) {
            if (lines[i] == null) {
                SignedEnvelope e = page.getEnvelopes(next++);
                lines[i] = AuditLine.newBuilder().setEnvelope(e).setId(Envelopes.id(e)).build();
            }
        }
        return List.of(lines);
    }

    private interface LineWriter {
        void write(AuditLine line) throws IOException;
    }

    private static void write(BufferedWriter w, AuditLine line) throws IOException {
        w.write(Json.compact(line));
        w.write('\n');
    }

    /**
     * Reads an export back, line by line; a line that doesn't parse is named. A file cut short (an
     * export killed mid-write by an older version, a partial copy) is told as truncated, not as
     * whatever its last, broken line fails to parse as: its last line lacks its newline, or a
     * sealed export lacks its {@link AuditEnd} or has a different number of lines before it.
     */
    public static List<AuditLine> read(Path file) throws IOException {
        List<AuditLine> lines = new ArrayList<>();
        boolean cutInLine = endsInsideLine(file);
        int n = 0;
        int records = 0;
        AuditEnd end = null;
        // Line by line: the file's text is never held whole beside the records parsed from it.
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String text = in.readLine(); text != null; text = in.readLine()) {
                n++;
                if (text.isBlank()) {
                    continue;
                }
                if (end != null) {
                    throw new IOException(file + " line " + n + " comes after the export's end record: "
                            + "two files joined, or the file was changed");
                }
                AuditLine line;
                try {
                    line = Json.parse(text, AuditLine.newBuilder()).build();
                } catch (InvalidProtocolBufferException e) {
                    if (cutInLine && in.readLine() == null) {
                        throw truncated(file, "its last line (" + n + ") is cut short");
                    }
                    throw new IOException(file + " line " + n + " is not an audit record: " + e.getMessage(), e);
                }
                if (line.hasEnd()) {
                    end = line.getEnd();
                    if (end.getLines() != records) {
                        throw truncated(file, "its end record counts " + end.getLines() + " lines before it, "
                                + records + " are there");
                    }
                    continue;
                }
                records++;
                lines.add(line);
            }
        } catch (CharacterCodingException e) {
            if (cutInLine) {
                throw truncated(file, "its last line ends in the middle of a character");
            }
            throw new IOException(file + " is not UTF-8 text (not an export of `rhizome export`)", e);
        }
        if (cutInLine) {
            throw truncated(file, "its last line (" + n + ") has no end");
        }
        boolean sealed = !lines.isEmpty() && lines.get(0).hasHeader() && lines.get(0).getHeader().getSealed();
        if (sealed && end == null) {
            throw truncated(file, "it stops after " + n + " lines, before the export's end record");
        }
        return lines;
    }

    private static IOException truncated(Path file, String why) {
        return new IOException(file + " is truncated: " + why + " (the export was cut short, or the file copied "
                + "in part); export it again with `rhizome export`");
    }

    /** Whether the file's last byte is not a newline: its last line was cut in the middle. */
    private static boolean endsInsideLine(Path file) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            long size = ch.size();
            if (size == 0) {
                return false;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            ch.position(size - 1);
            ch.read(last);
            return last.get(0) != '\n';
        }
    }

    /**
     * Each page of a list in turn (docs/api.md "Paging"): each page's {@code next} goes back as
     * {@code after} until a page has none. The audit trail is append-only and paged by acceptance
     * order, so records accepted while the export reads are appended, never skipped or repeated.
     */
    private static <T extends Message> void forEachPage(HttpClient http, long maxPageBytes, ReadRetry.Waits waits,
            URI coordinator, String path, Parser<T> parser, ListPages.Each<T, IOException> each) throws IOException {
        String separator = path.contains("?") ? "&" : "?";
        ListPages.forEach(after -> get(http, maxPageBytes, waits, coordinator, path + separator + "limit=" + ListPages.LIMIT
                + (after.isEmpty() ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8)), parser),
                why -> new IOException("GET " + path + " " + why), each);
    }

    /**
     * A page, asked again while the coordinator answers 429 with a Retry-After: an export of a long
     * history reads many pages from one address and may spend that address's CPU budget for reads
     * (coordinator http.ReadWork); it waits as told instead of failing half-written.
     */
    private static <T extends Message> T get(HttpClient http, long maxPageBytes, ReadRetry.Waits waits, URI coordinator,
            String path, Parser<T> parser) throws IOException {
        return get(http, maxPageBytes, waits, coordinator, path, parser, false);
    }

    /** The same, or null where the coordinator answers 404 (a path it is too old to serve). */
    private static <T extends Message> T getIfServed(HttpClient http, long maxPageBytes, ReadRetry.Waits waits,
            URI coordinator, String path, Parser<T> parser) throws IOException {
        return get(http, maxPageBytes, waits, coordinator, path, parser, true);
    }

    private static <T extends Message> T get(HttpClient http, long maxPageBytes, ReadRetry.Waits waits, URI coordinator,
            String path, Parser<T> parser, boolean notFoundIsNull) throws IOException {
        long waited = 0;
        while (true) {
            try {
                return getOnce(http, maxPageBytes, coordinator, path, parser, notFoundIsNull);
            } catch (RetryAfter refused) {
                // the same rule as every other read of the coordinator (node.api.ReadRetry)
                var wait = ReadRetry.waitSeconds(429, refused.seconds, waited);
                if (wait.isEmpty()) {
                    throw new IOException(refused.getMessage());
                }
                waited += wait.getAsLong();
                // said, as every CLI read says it: an export of a long trail that pauses silently for
                // a minute at a time reads as hung
                waits.waiting("GET " + path, wait.getAsLong(), refused.why);
                try {
                    Thread.sleep(wait.getAsLong() * 1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted during GET " + path, e);
                }
            }
        }
    }

    /** A 429 that names when to ask again. */
    private static final class RetryAfter extends IOException {
        final long seconds;
        final String why;

        RetryAfter(String message, long seconds, String why) {
            super(message);
            this.seconds = seconds;
            this.why = why;
        }
    }

    private static <T extends Message> T getOnce(HttpClient http, long maxPageBytes, URI coordinator, String path,
            Parser<T> parser, boolean notFoundIsNull) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(coordinator.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/x-protobuf").GET().build();
        try {
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, BoundedBody.handler(maxPageBytes));
            } catch (IOException e) {
                for (Throwable c = e; c != null; c = c.getCause()) {
                    if (c instanceof BoundedBody.TooLarge tooLarge) {
                        throw new NotACoordinatorException("the answer to GET " + path + " was refused: "
                                + tooLarge.getMessage() + " (not a rhizome coordinator, or a hostile one)");
                    }
                }
                throw e;
            }
            if (response.statusCode() == 404 && notFoundIsNull) {
                // Only "no route" says the path is not served: since round 28 a coordinator answers a
                // direction it does not know with a 404 naming it, which the probe's made-up name draws.
                Error error = CoordinatorClient.coordinatorError(response.body());
                boolean routed = error != null && !error.getMessage().startsWith("no route");
                return routed ? parser.parseFrom(new byte[0]) : null;
            }
            if (response.statusCode() != 200) {
                Error error = CoordinatorClient.coordinatorError(response.body());
                if (error == null) {
                    throw new NotACoordinatorException(CoordinatorClient.notACoordinator(
                            coordinator, "GET", path, response.statusCode()));
                }
                String refused = "GET " + path + " refused (" + response.statusCode() + " " + error.getCode() + "): "
                        + error.getMessage();
                var retryAfter = ReadRetry.retryAfter(response.headers().firstValue("Retry-After").orElse(null));
                if (response.statusCode() == 429 && retryAfter.isPresent()) {
                    throw new RetryAfter(refused, retryAfter.getAsLong(), error.getMessage());
                }
                throw new IOException(refused);
            }
            return parser.parseFrom(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during GET " + path, e);
        }
    }

    /** The URL answered, but not as a rhizome coordinator (a wrong port or path, a proxy). */
    public static final class NotACoordinatorException extends IOException {
        public NotACoordinatorException(String message) {
            super(message);
        }
    }
}
