package dev.rhizome.client.cli;

import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The units a data directory claimed, as the user names them: a unit id is long (a UUID), so
 * {@code --unit} takes a unique prefix as {@code --commit} does, and a command that could not tell
 * which unit was meant lists the claims held there rather than only asking for an id.
 */
public final class HeldClaims {
    /** The shortest prefix taken: a shorter one too easily names a unit the user did not mean. */
    static final int MIN_PREFIX = 4;
    private static final List<String> KEPT = List.of(".pb", ".submitted", ".given-back");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private HeldClaims() {
    }

    /**
     * The full id of the unit {@code typed} names among those the data directory claimed (held,
     * submitted or given back, so a second submit by prefix is still told it was submitted): itself
     * when one has that id or none starts with it (loading it then says what is wrong), the one that
     * starts with it, said through {@code notice}; several: {@code ambiguous_unit} naming them.
     */
    public static String resolve(Path dataDir, String typed, String option, Consumer<String> notice) {
        List<String> known = ids(dataDir, KEPT);
        if (known.contains(typed) || typed.length() < MIN_PREFIX) {
            return typed;
        }
        List<String> matches = known.stream().filter(id -> id.startsWith(typed)).toList();
        if (matches.size() > 1) {
            throw new CommandException(ExitCodes.USAGE, "ambiguous_unit", typed + " is the start of " + matches.size()
                    + " units claimed in " + dataDir + ": " + Unknown.shown(matches), "give more of the unit's id", option);
        }
        if (matches.size() == 1) {
            notice.accept(option + " " + matches.get(0) + " (the unit claimed in " + dataDir + " whose id starts with "
                    + typed + ")");
            return matches.get(0);
        }
        return typed;
    }

    /**
     * The claims the data directory holds, one clause each (id, kind, direction, commit, lease
     * deadline), for a command that was given no unit: "it holds no claim" when there is none.
     */
    public static String listed(Path dataDir) {
        List<String> clauses = new ArrayList<>();
        for (String id : ids(dataDir, List.of(".pb"))) {
            try {
                clauses.add(clause(ClaimFiles.load(dataDir, id)));
            } catch (IOException | RuntimeException e) {
                clauses.add("unit " + id + " (its claim could not be read: " + e.getMessage() + ")");
            }
        }
        if (clauses.isEmpty()) {
            return dataDir + " holds no claim";
        }
        return dataDir + " holds " + clauses.size() + (clauses.size() == 1 ? " claim: " : " claims: ")
                + String.join("; ", clauses.size() > 10 ? clauses.subList(0, 10) : clauses)
                + (clauses.size() > 10 ? "; ..." : "");
    }

    /**
     * The way to the experiment this data directory submitted last, for a command given no commit
     * outside a workspace: an agent that lost its commit id was sent to read the tree. Empty when
     * it submitted none.
     */
    public static Optional<String> lastSubmitted(FollowUp where) {
        Path dataDir = where.dataDir();
        Optional<String> unit = ids(dataDir, List.of(".submitted")).stream()
                .max(Comparator.comparing((String id) -> modified(dataDir.resolve("claims").resolve(id + ".submitted"))));
        if (unit.isEmpty()) {
            return Optional.empty();
        }
        List<String> commits = ClaimFiles.submitted(dataDir, unit.get());
        if (commits.isEmpty()) {
            return Optional.empty();
        }
        String commit = commits.get(commits.size() - 1);
        Optional<String> direction = ClaimFiles.direction(dataDir, unit.get());
        return Optional.of(dataDir + " last submitted " + commit + direction.map(d -> " on " + d).orElse("")
                + " (unit " + unit.get() + "): `" + where.command("wait --commit " + commit) + "`"
                + direction.map(d -> "; `" + where.command("log --direction " + Shell.quote(d) + " --mine")
                        + "` lists all of yours").orElse(""));
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return FileTime.fromMillis(0);  // gone meanwhile: the oldest
        }
    }

    /** The ids of the claims the data directory holds (given back or submitted ones are not held), sorted. */
    public static List<String> heldIds(Path dataDir) {
        return ids(dataDir, List.of(".pb"));
    }

    /** The number of claims the data directory holds (given back or submitted ones are not held). */
    public static int count(Path dataDir) {
        return ids(dataDir, List.of(".pb")).size();
    }

    private static String clause(WorkUnit unit) {
        long deadline = unit.getLeaseDeadlineMs();
        String lease = deadline < System.currentTimeMillis() ? "lease expired at " : "leased until ";
        return "unit " + unit.getId() + " (" + unit.getKind().name() + " in direction " + unit.getDirection()
                + " from " + CommitId.abbreviate(unit.getCommit()) + ", " + lease + TIME.format(Instant.ofEpochMilli(deadline))
                + ")";
    }

    /** The ids of the units with a file of one of {@code suffixes} in the data directory's claims, sorted. */
    private static List<String> ids(Path dataDir, List<String> suffixes) {
        try (var files = Files.list(dataDir.resolve("claims"))) {
            return files.map(p -> p.getFileName().toString())
                    .flatMap(n -> suffixes.stream().filter(n::endsWith).map(s -> n.substring(0, n.length() - s.length())))
                    .distinct().sorted().toList();
        } catch (IOException e) {
            return List.of();  // no claims directory: nothing claimed here
        }
    }
}
