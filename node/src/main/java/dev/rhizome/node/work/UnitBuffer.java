package dev.rhizome.node.work;

import dev.rhizome.proto.v1.WorkUnit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import dev.rhizome.protocol.files.DurableFiles;
import java.util.Optional;

/**
 * The units each slot holds, on disk: a node that restarts runs the units it had claimed (while
 * their leases last) instead of leaving them to expire. Per slot, the unit it runs or will run
 * next ({@code <slot>.unit}) and the one it claimed ahead while that runs ({@code <slot>.ahead},
 * the prefetch), each replaced atomically. The ahead unit moves to the first file when its turn
 * comes; until then a kill would have left it leased to nobody who knew of it until its deadline.
 */
public final class UnitBuffer {
    private final Path dir;

    public UnitBuffer(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    public void put(String slot, WorkUnit unit) throws IOException {
        DurableFiles.replace(file(slot), unit.toByteArray());
    }

    public Optional<WorkUnit> get(String slot) {
        return read(file(slot));
    }

    public void clear(String slot) throws IOException {
        Files.deleteIfExists(file(slot));
    }

    /** Keeps the unit claimed ahead of the slot's running job; written before its claim leaves the journal. */
    public void putAhead(String slot, WorkUnit unit) throws IOException {
        DurableFiles.replace(aheadFile(slot), unit.toByteArray());
    }

    public Optional<WorkUnit> ahead(String slot) {
        return read(aheadFile(slot));
    }

    /**
     * The ahead unit's turn: it becomes the slot's unit, written whole before the ahead file goes
     * (a kill in between leaves it in both, read once: {@link #ahead} is ignored when it is the unit).
     */
    public void promoteAhead(String slot, WorkUnit unit) throws IOException {
        put(slot, unit);
        clearAhead(slot);
    }

    public void clearAhead(String slot) throws IOException {
        Files.deleteIfExists(aheadFile(slot));
    }

    /**
     * When the file in which a slot holds {@code unitId} (its unit or the one claimed ahead) was written;
     * empty when no slot holds it. A give-back kept before that holds an earlier lease ({@link GiveBacks}).
     */
    public Optional<FileTime> heldSince(String unitId) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if ((name.endsWith(".unit") || name.endsWith(".ahead"))
                        && read(f).filter(u -> u.getId().equals(unitId)).isPresent()) {
                    return Optional.of(Files.getLastModifiedTime(f));
                }
            }
        } catch (IOException e) {
            // unreadable: as held by none, so the give-back is sent
        }
        return Optional.empty();
    }

    private static Optional<WorkUnit> read(Path file) {
        try {
            return Files.exists(file) ? Optional.of(WorkUnit.parseFrom(Files.readAllBytes(file))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // a torn or foreign file: its lease will expire and the unit goes elsewhere
        }
    }

    private Path file(String slot) {
        return dir.resolve(slot + ".unit");
    }

    private Path aheadFile(String slot) {
        return dir.resolve(slot + ".ahead");
    }
}
