package dev.rhizome.node.work;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.io.IOException;
import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.node.disk.SpaceReserve;
import dev.rhizome.protocol.files.DurableFiles;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed results waiting for the coordinator's acknowledgement. A result is written here, synced
 * to disk, before it is first sent, and removed only once acknowledged (or refused for good), so a
 * crash, a reboot or a coordinator outage never loses a finished run.
 *
 * <p>When the disk is full, the result goes into the space a {@link SpaceReserve} holds for it
 * (made again once there is room). When even that is spent (or the disk is read-only), the result
 * is not dropped: it is held in memory, sent from there like any other, and written each time the
 * outbox is read until the disk takes it. Only a stop or crash before such a result is written or
 * acknowledged loses it (a stop tries once more, and says so if it must leave it).
 */
public final class ResultOutbox {
    private static final Logger log = LoggerFactory.getLogger(ResultOutbox.class);
    private static final String SUFFIX = ".result";

    private final Path dir;
    /** Results the disk refused, by file name, until it takes them or they are acknowledged. */
    private final Map<String, SignedEnvelope> unwritten = new ConcurrentHashMap<>();
    /** Space held on the outbox's disk for results a full disk would refuse; null: none. */
    private final SpaceReserve reserve;

    public ResultOutbox(Path dir) throws IOException {
        this(dir, null);
    }

    /** An outbox with {@code reserve} (on the same disk) kept for results a full disk would refuse. */
    public ResultOutbox(Path dir, SpaceReserve reserve) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.reserve = reserve;
        if (reserve != null) {
            reserve.keep();
        }
        renameOldFiles(this.dir);
        Path refused = this.dir.resolve("refused");
        if (Files.isDirectory(refused)) {
            renameOldFiles(refused);
        }
    }

    /**
     * Gives each result an earlier version named by its unit's id made plain ({@link UnitFileNames#legacy})
     * the name that is its unit's now ({@link #fileName}), read from the result itself, so that
     * {@link #holds} finds it (a unit whose result waits is not run again). Where two units shared a
     * name then, only the last one's result was kept.
     */
    private static void renameOldFiles(Path dir) {
        try {
            UnitFileNames.renameOldFiles(dir, SUFFIX, ResultOutbox::unitIdOf, UnitFileNames.WhenBothNamed.LEAVE_OLD);
        } catch (IOException e) {
            log.warn("cannot list {} to rename its results to their units' names: {}", dir, e.getMessage());
        }
    }

    /** The unit a kept result is of; empty when unreadable (pending() moves it aside and says so). */
    private static Optional<String> unitIdOf(Path f) {
        try {
            SignedEnvelope envelope = SignedEnvelope.parseFrom(Files.readAllBytes(f));
            return Optional.of(Result.parseFrom(envelope.getPayload()).getWorkUnitId());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Returns once the result is on disk, rename and directory included (it survives a power loss),
     * or, when the disk refuses it, once it is held in memory to be sent and written later.
     */
    public Path put(String unitId, SignedEnvelope signedResult) {
        Path target = dir.resolve(fileName(unitId));
        try {
            write(target, signedResult);
            unwritten.remove(target.getFileName().toString());
        } catch (IOException e) {
            unwritten.put(target.getFileName().toString(), signedResult);
            log.warn("cannot keep the result of unit {} in {} ({}{}); it is held in memory, sent from there and "
                    + "written when the disk takes it (a stop before then loses it)", unitId, target, e.getMessage(),
                    DiskRoom.isFull(e) ? ": the disk is full" : "");
        }
        return target;
    }

    /** Writes a result durably; on a full disk, once more into the reserve's space. */
    private void write(Path target, SignedEnvelope signedResult) throws IOException {
        try {
            DurableFiles.replace(target, signedResult.toByteArray());
        } catch (IOException e) {
            if (reserve == null || !DiskRoom.isFull(e) || !reserve.release()) {
                throw e;
            }
            DurableFiles.replace(target, signedResult.toByteArray());
            log.warn("the disk is full: result {} was written into the space reserved for it in {}; free space on "
                    + "that disk (the reserve is made again once there is room)", target.getFileName(), dir);
        }
    }

    /** Results held in memory only (the disk refused them): lost if the node stops now. */
    public List<String> heldInMemory() {
        return List.copyOf(unwritten.keySet());
    }

    /** Whether a result for this unit waits here (or was refused for good). */
    public boolean holds(String unitId) {
        String name = fileName(unitId);
        return unwritten.containsKey(name) || Files.exists(dir.resolve(name))
                || Files.exists(dir.resolve("refused").resolve(name));
    }

    /** Every pending result, oldest first. Unreadable files are moved aside, not retried forever. */
    public List<Pending> pending() throws IOException {
        writeHeldResults();
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
        unwritten.forEach((name, envelope) -> out.add(new Pending(dir.resolve(name), envelope)));
        return out;
    }

    /** Writes the results held in memory, as far as the disk takes them now. */
    private void writeHeldResults() {
        for (Map.Entry<String, SignedEnvelope> held : unwritten.entrySet()) {
            try {
                write(dir.resolve(held.getKey()), held.getValue());
                unwritten.remove(held.getKey(), held.getValue());
                log.info("result {} held in memory is now kept in {}", held.getKey(), dir);
            } catch (IOException e) {
                return;  // the disk is still full; said when it was first refused
            }
        }
        if (reserve != null) {
            reserve.keep();  // made again once nothing waits for the disk and it has room
        }
    }

    /**
     * Not forced to disk: a deletion a power loss undoes only sends the result again, and the
     * coordinator acknowledges a result it already stored without storing it twice.
     */
    public void remove(Pending pending) throws IOException {
        unwritten.remove(pending.file().getFileName().toString(), pending.envelope());
        Files.deleteIfExists(pending.file());
    }

    /** Keeps a result the coordinator refused for good under refused/, for the operator to look at. */
    public void refuse(Pending pending) throws IOException {
        Path refused = Files.createDirectories(dir.resolve("refused"));
        Path target = refused.resolve(pending.file().getFileName());
        if (unwritten.remove(pending.file().getFileName().toString(), pending.envelope())) {
            DurableFiles.replace(target, pending.envelope().toByteArray());
        } else {
            DurableFiles.move(pending.file(), target);
        }
    }

    /** The outbox's directory. */
    public Path dir() {
        return dir;
    }

    /**
     * The name of the file that keeps the unit's result (the same under {@code refused/}): one to one
     * ({@link UnitFileNames}), so that no unit's result overwrites another's.
     */
    public static String fileName(String unitId) {
        return UnitFileNames.of(unitId) + SUFFIX;
    }

    public record Pending(Path file, SignedEnvelope envelope) {
    }
}
