package dev.rhizome.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signed claims a node has sent and not yet had answered, on disk: a node killed while the
 * coordinator leased it a unit (the answer lost with the process) finds the claim at restart and
 * sends it again, as signed, so the coordinator hands that unit back instead of leaving it leased to
 * nobody who knows of it until its deadline. One file per claim in flight, named by its nonce,
 * written before the claim is sent and removed once any answer came. A failure to write is said and
 * not fatal: the claim goes anyway, as it did before the journal.
 */
final class ClaimJournal {
    private static final Logger log = LoggerFactory.getLogger(ClaimJournal.class);
    private static final String SUFFIX = ".claim";

    private final Path dir;

    ClaimJournal(Path dir) {
        this.dir = dir;
    }

    /** Before the claim is sent; claims too old to be sent again (see {@link UnansweredClaim}) go first. */
    void write(SignedEnvelope signed, long nowMs) {
        try {
            Files.createDirectories(dir);
            removeOlderThan(nowMs - UnansweredClaim.MAX_AGE_MS);
            DurableFiles.replace(file(signed), signed.toByteArray());
        } catch (IOException e) {
            log.warn("cannot keep the claim in flight in {} ({}); a kill before its answer would leave its unit "
                    + "leased until its deadline", dir, e.getMessage());
        }
    }

    /** Once the claim is answered (a unit, no work or a refusal): nothing to send again. */
    void answered(SignedEnvelope signed) {
        try {
            Files.deleteIfExists(file(signed));
        } catch (IOException e) {
            log.warn("cannot remove the answered claim {}: {}", file(signed), e.getMessage());
        }
    }

    /** A claim kept unanswered through a long outage is never sent again once this old: its file goes. */
    private void removeOlderThan(long cutoffMs) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList()) {
                try {
                    if (Files.getLastModifiedTime(f).toMillis() < cutoffMs) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException e) {
                    // removed meanwhile by the thread its answer came to
                }
            }
        }
    }

    /** A claim found unanswered: the envelope, the request it signs, and when it was written. */
    record Unanswered(SignedEnvelope signed, ClaimRequest request, long writtenMs) {
    }

    /**
     * The claims an earlier process left unanswered, at most {@code max} (the newest; the others are
     * more than its slots could have had in flight, left by failed removals), each removed from disk
     * as it is read: the caller keeps them to send again, and each is journaled anew when it goes.
     */
    List<Unanswered> takeLeftovers(int max) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Unanswered> left = files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).map(this::read)
                    .flatMap(Optional::stream)
                    .sorted((a, b) -> Long.compare(b.writtenMs(), a.writtenMs())).limit(max).toList();
            if (!left.isEmpty()) {
                log.info("{} claim(s) sent before the restart got no answer; each goes again with a later claim, so "
                        + "a unit leased by it comes back", left.size());
            }
            return left;
        } catch (IOException e) {
            log.warn("cannot read the claims an earlier run left in {}: {}", dir, e.getMessage());
            return List.of();
        }
    }

    private Optional<Unanswered> read(Path file) {
        try {
            long written = Files.getLastModifiedTime(file).toMillis();
            SignedEnvelope signed = SignedEnvelope.parseFrom(Files.readAllBytes(file));
            Files.deleteIfExists(file);
            return Optional.of(new Unanswered(signed, ClaimRequest.parseFrom(signed.getPayload()), written));
        } catch (InvalidProtocolBufferException e) {
            deleteQuietly(file);  // torn by a power loss: nothing to send again
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // gone or unreadable: either way it is not sent again
        }
    }

    private Path file(SignedEnvelope signed) {
        return dir.resolve(Envelopes.id(signed) + SUFFIX);
    }
}
