package dev.rhizome.node.work;

import dev.rhizome.proto.v1.WorkUnit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.rhizome.protocol.files.DurableFiles;
import java.util.Optional;

/**
 * The unit each slot holds ahead of its running job, on disk: a node that restarts runs the
 * units it had claimed (while their leases last) instead of leaving them to expire. One file per
 * slot, replaced atomically.
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
        try {
            Path file = file(slot);
            return Files.exists(file) ? Optional.of(WorkUnit.parseFrom(Files.readAllBytes(file))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // a torn or foreign file: its lease will expire and the unit goes elsewhere
        }
    }

    public void clear(String slot) throws IOException {
        Files.deleteIfExists(file(slot));
    }

    private Path file(String slot) {
        return dir.resolve(slot + ".unit");
    }
}
