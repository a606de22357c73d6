package dev.rhizome.ops.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.node.api.ListPages;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.AuditHeader;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.protocol.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.OutputStreamWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a coordinator's signed history and its derived claims to a file, in the format of
 * {@link AuditLine}: one proto3 JSON object per line. Written to a temporary file and moved into
 * place, so an interrupted export leaves no half file behind.
 */
public final class AuditExport {
    public static final String FORMAT = "rhizome-audit-v1";

    private AuditExport() {
    }

    /** What was written. */
    public record Summary(int envelopes, int trials, int adoptions, int directions) {
    }

    public static Summary export(URI coordinator, Path file, long nowMs) throws IOException {
        return export(coordinator, file, nowMs, dev.rhizome.node.api.CoordinatorClient.MAX_ANSWER_BYTES);
    }

    /**
     * @param maxPageBytes the largest answer read for one page, as the coordinator client bounds its
     *                     answers: whatever answers at the URL could otherwise send an endless body
     */
    public static Summary export(URI coordinator, Path file, long nowMs, long maxPageBytes) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        EnvelopeList audit = getAll(http, maxPageBytes, coordinator, "/v1/audit", EnvelopeList.parser());
        DirectionList directions = getAll(http, maxPageBytes, coordinator, "/v1/directions", DirectionList.parser());
        AdoptionList adoptions = getAll(http, maxPageBytes, coordinator, "/v1/adoptions", AdoptionList.parser());
        List<AuditLine> lines = new ArrayList<>();
        lines.add(AuditLine.newBuilder().setHeader(AuditHeader.newBuilder().setFormat(FORMAT)
                .setCoordinator(coordinator.toString()).setExportedMs(nowMs)).build());
        int index = 0;
        for (SignedEnvelope e : audit.getEnvelopesList()) {
            lines.add(AuditLine.newBuilder().setEnvelope(e).setIndex(index++).setId(Envelopes.id(e)).build());
        }
        int trials = 0;
        for (DirectionStatus d : directions.getDirectionsList()) {
            TrialList list = getAll(http, maxPageBytes, coordinator, "/v1/trials?direction="
                    + URLEncoder.encode(d.getDirection().getName(), StandardCharsets.UTF_8), TrialList.parser());
            list.getTrialsList().forEach(t -> lines.add(AuditLine.newBuilder().setTrial(t).build()));
            trials += list.getTrialsCount();
        }
        adoptions.getAdoptionsList().forEach(a -> lines.add(AuditLine.newBuilder().setAdoption(a).build()));
        directions.getDirectionsList().forEach(d -> lines.add(AuditLine.newBuilder().setDirection(d).build()));
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        DurableFiles.replace(file, out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            for (AuditLine line : lines) {
                w.write(Json.compact(line));
                w.write('\n');
            }
            w.flush();
        });
        return new Summary(audit.getEnvelopesCount(), trials, adoptions.getAdoptionsCount(),
                directions.getDirectionsCount());
    }

    /** Reads an export back, line by line; a line that doesn't parse is named. */
    public static List<AuditLine> read(Path file) throws IOException {
        List<AuditLine> lines = new ArrayList<>();
        int n = 0;
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (text.isBlank()) {
                continue;
            }
            try {
                lines.add(Json.parse(text, AuditLine.newBuilder()).build());
            } catch (InvalidProtocolBufferException e) {
                throw new IOException(file + " line " + n + " is not an audit record: " + e.getMessage(), e);
            }
        }
        return lines;
    }

    /**
     * A whole list, page after page (docs/api.md "Paging"): each page's {@code next} goes back as
     * {@code after} until a page has none, so the export holds the whole log as the unpaged route
     * gave it. The audit trail is append-only and paged by acceptance order, so records accepted
     * while the export reads are appended, never skipped or repeated.
     */
    private static <T extends Message> T getAll(HttpClient http, long maxPageBytes, URI coordinator, String path, Parser<T> parser)
            throws IOException {
        String separator = path.contains("?") ? "&" : "?";
        return ListPages.readAll(after -> get(http, maxPageBytes, coordinator, path + separator + "limit=" + ListPages.LIMIT
                + (after.isEmpty() ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8)), parser),
                why -> new IOException("GET " + path + " " + why));
    }

    private static <T extends Message> T get(HttpClient http, long maxPageBytes, URI coordinator, String path, Parser<T> parser)
            throws IOException {
        HttpRequest request = HttpRequest.newBuilder(coordinator.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/x-protobuf").GET().build();
        try {
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, dev.rhizome.node.api.BoundedBody.handler(maxPageBytes));
            } catch (IOException e) {
                for (Throwable c = e; c != null; c = c.getCause()) {
                    if (c instanceof dev.rhizome.node.api.BoundedBody.TooLarge tooLarge) {
                        throw new NotACoordinatorException("the answer to GET " + path + " was refused: "
                                + tooLarge.getMessage() + " (not a rhizome coordinator, or a hostile one)");
                    }
                }
                throw e;
            }
            if (response.statusCode() != 200) {
                Error error = dev.rhizome.node.api.CoordinatorClient.coordinatorError(response.body());
                if (error == null) {
                    throw new NotACoordinatorException(dev.rhizome.node.api.CoordinatorClient.notACoordinator(
                            coordinator, "GET", path, response.statusCode()));
                }
                throw new IOException("GET " + path + " refused (" + response.statusCode() + " " + error.getCode() + "): "
                        + error.getMessage());
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
