package dev.rhizome.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * written before the claim is sent and removed once its answer is recorded (a unit where the next
 * start finds it, see {@link CoordinatorClient.Recorder}; any other answer at once). A failure to write is said and
 * not fatal: the claim goes anyway, as it did before the journal.
 *
 * <p>A node's directory is its own (the node holds its data directory's lock), so whatever is there
 * at its start was left by a dead process. Agents' commands ({@code rhizome claim}, {@code rhizome
 * agent}) of one key may run several at once on one directory: their journal is {@link #shared},
 * each file named by its process ({@link ProcessStamp}), and a process takes over only the files of
 * processes that are dead, each by renaming it to its own name, so two that start together never
 * both send one claim again (the coordinator would answer both with the same unit).
 */
final class ClaimJournal {
    private static final Logger log = LoggerFactory.getLogger(ClaimJournal.class);
    private static final String SUFFIX = ".claim";

    private final Path dir;
    /** Whose files this journal writes, in a directory shared with other processes; null: the directory is ours. */
    private final ProcessStamp owner;

    /** The journal of a process that has the directory to itself (a node). */
    ClaimJournal(Path dir) {
        this(dir, null);
    }

    private ClaimJournal(Path dir, ProcessStamp owner) {
        this.dir = dir;
        this.owner = owner;
    }

    /** The journal of this process in a directory other processes of the same key may use at once. */
    static ClaimJournal shared(Path dir) {
        return new ClaimJournal(dir, ProcessStamp.current());
    }

    /** Before the claim is sent; claims too old to be sent again (see {@link UnansweredClaim}) go first. */
    void write(SignedEnvelope signed, long nowMs) {
        try {
            Files.createDirectories(dir);
            removeOlderThan(nowMs - UnansweredClaim.MAX_AGE_MS);
            DurableFiles.replace(file(signed), signed.toByteArray());
        } catch (ClosedByInterruptException e) {
            // An orderly stop interrupts the claiming thread: the claim is not sent either, so nothing is lost.
            log.info("claim in flight not kept in {}: the node is stopping ({})", dir, e.toString());
        } catch (IOException e) {
            // toString: an interrupted or closed channel's exception has no message of its own.
            log.warn("cannot keep the claim in flight in {} ({}); a kill before its answer would leave its unit "
                    + "leased until its deadline", dir, e.toString());
        }
    }

    /** Once the claim's answer is recorded (a unit kept, no work, a refusal): nothing to send again. */
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
            List<Unanswered> left = files.filter(p -> p.getFileName().toString().endsWith(SUFFIX))
                    .map(this::takeOver).flatMap(Optional::stream).map(this::read)
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

    /**
     * The file under this process's name, when it is a leftover: in a shared directory, one whose
     * process is dead, renamed to ours (only one taker's rename finds it); empty when it is a living
     * process's (ours included) or another taker's. In our own directory, every file as it is.
     */
    private Optional<Path> takeOver(Path file) {
        if (owner == null) {
            return Optional.of(file);
        }
        String name = file.getFileName().toString();
        int idAt = name.lastIndexOf('-');
        Optional<ProcessStamp> writer = idAt < 0 ? Optional.empty() : ProcessStamp.parse(name.substring(0, idAt));
        if (writer.isEmpty() || writer.get().equals(owner) || writer.get().alive()) {
            return Optional.empty();  // not a claim file of this journal's naming, or a living process's
        }
        Path ours = dir.resolve(owner.name() + name.substring(idAt));
        try {
            Files.move(file, ours, StandardCopyOption.ATOMIC_MOVE);
            return Optional.of(ours);
        } catch (IOException e) {
            return Optional.empty();  // another process took it first
        }
    }

    private Optional<Unanswered> read(Path file) {
        try {
            long written = Files.getLastModifiedTime(file).toMillis();
            SignedEnvelope signed = SignedEnvelope.parseFrom(Files.readAllBytes(file));
            if (owner == null) {
                // a node's: journaled anew when it goes; a shared one stays ours until answered, so a
                // kill before it goes again leaves it to the next process
                Files.deleteIfExists(file);
            }
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
        return dir.resolve((owner == null ? "" : owner.name() + "-") + Envelopes.id(signed) + SUFFIX);
    }
}
