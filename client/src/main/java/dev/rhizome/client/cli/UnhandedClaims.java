package dev.rhizome.client.cli;

import dev.rhizome.node.api.ProcessStamp;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Units `rhizome claim` was leased and saved but has not handed to its user yet (printed): between
 * the save and the print it checks the unit out into the workspace and writes the brief, which a
 * fetch from peers can stretch to minutes. Killed there, it printed nothing, so the user never
 * learnt the unit's id, and the unit stayed leased to them until its deadline (a rerun claimed
 * another). Each such unit is marked beside its claim, {@code claims/<unit>.unhanded-<PID>-<START>}
 * (the process, {@link ProcessStamp}, and what its claim asked), written before the claim itself and
 * removed only once the answer naming the unit is written out and flushed (removed before the print,
 * a kill between the two stranded the unit as before); the next `rhizome claim` of the data directory takes over the
 * marks of dead processes ({@link #takeOverDead}): the unit of one that asked what it asks becomes
 * its own, the others are given back.
 */
public final class UnhandedClaims {
    private static final String MARK = ".unhanded-";

    private UnhandedClaims() {
    }

    /** What a claim asked, as it was sent (the commit resolved, the hypothesis stripped); "" for what it left out. */
    public record Asked(String direction, String fromCommit, String hypothesis, String hardwareClass) {
        public Asked {
            direction = direction == null ? "" : direction;
            fromCommit = fromCommit == null ? "" : fromCommit;
            hypothesis = hypothesis == null ? "" : hypothesis.strip().replace('\n', ' ');
            hardwareClass = hardwareClass == null ? "" : hardwareClass;
        }

        String text() {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("direction", direction);
            fields.put("from", fromCommit);
            fields.put("class", hardwareClass);
            fields.put("hypothesis", hypothesis);  // last: the one field that may hold anything but a newline
            StringBuilder out = new StringBuilder();
            fields.forEach((k, v) -> out.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
            return out.toString();
        }

        static Asked parse(String text) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    fields.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return new Asked(fields.get("direction"), fields.get("from"), fields.get("hypothesis"), fields.get("class"));
        }
    }

    /** A unit a dead `rhizome claim` left unhanded: its id, what its claim asked, and the process. */
    public record Unhanded(String unitId, Asked asked, long pid) {
    }

    /** Marks {@code unitId} as leased to this process and not handed over yet; before its claim is saved. */
    public static void mark(Path dataDir, String unitId, Asked asked) throws IOException {
        Path claims = dataDir.resolve("claims");
        Files.createDirectories(claims);
        DurableFiles.replace(own(claims, unitId), asked.text().getBytes(StandardCharsets.UTF_8));
    }

    /** The unit was printed (or given back): its mark goes. */
    public static void handedOver(Path dataDir, String unitId) throws IOException {
        Files.deleteIfExists(own(dataDir.resolve("claims"), unitId));
    }

    private static Path own(Path claims, String unitId) {
        return claims.resolve(unitId + MARK + ProcessStamp.current().name());
    }

    /**
     * Takes over the marks of dead processes: each is renamed to this process's name (so that two
     * claims never both take one unit) and returned while its claim is still saved here; a mark whose
     * claim is gone (submitted, given back) is removed. The caller keeps one unit and gives the
     * others back, then calls {@link #handedOver} for each.
     */
    public static List<Unhanded> takeOverDead(Path dataDir) throws IOException {
        Path claims = dataDir.resolve("claims");
        List<Unhanded> taken = new ArrayList<>();
        try (DirectoryStream<Path> marks = Files.newDirectoryStream(claims, "*" + MARK + "*")) {
            for (Path mark : marks) {
                String name = mark.getFileName().toString();
                int at = name.lastIndexOf(MARK);
                String unitId = name.substring(0, at);
                Optional<ProcessStamp> process = ProcessStamp.parse(name.substring(at + MARK.length()));
                if (process.isEmpty() || process.get().alive()) {
                    continue;  // a live claim's, handing its unit over now
                }
                Path mine = own(claims, unitId);
                try {
                    Files.move(mark, mine, StandardCopyOption.ATOMIC_MOVE);
                } catch (NoSuchFileException e) {
                    continue;  // another claim took it over first
                }
                if (!Files.exists(claims.resolve(unitId + ".pb"))) {
                    Files.deleteIfExists(mine);
                    continue;
                }
                taken.add(new Unhanded(unitId, Asked.parse(Files.readString(mine)), process.get().pid()));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return taken;
    }
}
