package dev.rhizome.node.work;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.io.IOException;
import dev.rhizome.protocol.files.DurableFiles;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed results waiting for the coordinator's acknowledgement. A result is written here, synced
 * to disk, before it is first sent, and removed only once acknowledged (or refused for good), so a
 * crash, a reboot or a coordinator outage never loses a finished run.
 */
public final class ResultOutbox {
    private static final Logger log = LoggerFactory.getLogger(ResultOutbox.class);
    private static final String SUFFIX = ".result";

    private final Path dir;

    public ResultOutbox(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** Returns once the result is on disk, rename and directory included: it survives a power loss. */
    public Path put(String unitId, SignedEnvelope signedResult) throws IOException {
        Path target = dir.resolve(safeName(unitId) + SUFFIX);
        DurableFiles.replace(target, signedResult.toByteArray());
        return target;
    }

    /** Whether a result for this unit waits here (or was refused for good). */
    public boolean holds(String unitId) {
        String name = safeName(unitId) + SUFFIX;
        return Files.exists(dir.resolve(name)) || Files.exists(dir.resolve("refused").resolve(name));
    }

    /** Every pending result, oldest first. Unreadable files are moved aside, not retried forever. */
    public List<Pending> pending() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(SUFFIX))
                    .sorted((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified()))
                    .toList();
        }
        List<Pending> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(new Pending(f, SignedEnvelope.parseFrom(Files.readAllBytes(f))));
            } catch (NoSuchFileException e) {
                // acknowledged and removed since the listing (the status reads while the reporter delivers)
            } catch (InvalidProtocolBufferException e) {
                Path aside = f.resolveSibling(f.getFileName() + ".corrupt");
                log.warn("outbox file {} is not a signed result ({}); moved to {}", f, e.getMessage(), aside);
                DurableFiles.move(f, aside);
            }
        }
        return out;
    }

    /**
     * Not forced to disk: a deletion a power loss undoes only sends the result again, and the
     * coordinator acknowledges a result it already stored without storing it twice.
     */
    public void remove(Pending pending) throws IOException {
        Files.deleteIfExists(pending.file());
    }

    /** Keeps a result the coordinator refused for good under refused/, for the operator to look at. */
    public void refuse(Pending pending) throws IOException {
        Path refused = Files.createDirectories(dir.resolve("refused"));
        DurableFiles.move(pending.file(), refused.resolve(pending.file().getFileName()));
    }

    private static String safeName(String unitId) {
        return unitId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    public record Pending(Path file, SignedEnvelope envelope) {
    }
}
