package dev.rhizome.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Units an agent claimed, kept in the data directory so `submit` knows what it answers. */
public final class ClaimFiles {
    private ClaimFiles() {
    }

    private static Path file(Path dataDir, String unitId) {
        if (!unitId.matches("[A-Za-z0-9._-]{1,128}")) {
            throw BadValue.of("--unit", unitId, "a work unit id as `rhizome claim` printed it (letters, digits, '.', '_', '-')",
                    "`rhizome claim --json` prints it as unit.id");
        }
        return dataDir.resolve("claims").resolve(unitId + ".pb");
    }

    public static void save(Path dataDir, WorkUnit unit) throws IOException {
        Path f = file(dataDir, unit.getId());
        Files.createDirectories(f.getParent());
        // Replaced whole: written in place, a full disk left an empty or cut claim, which reads as a
        // unit with no id (or "corrupt"), and a renewal's rewrite lost the claim it replaced.
        DurableFiles.replace(f, unit.toByteArray());
    }

    public static WorkUnit load(Path dataDir, String unitId) throws IOException {
        return load(dataDir, unitId, null);
    }

    /**
     * Keeps the claim's {@code --hypothesis} beside it: `submit` without --description registered
     * the commit message's first line, and the sentence the agent had claimed with was lost from
     * `log`, `brief` and `tree` (what the others read as the experiment's hypothesis).
     */
    public static void saveHypothesis(Path dataDir, String unitId, String hypothesis) throws IOException {
        Path f = file(dataDir, unitId).resolveSibling(unitId + ".hypothesis");
        DurableFiles.replace(f, hypothesis.getBytes(StandardCharsets.UTF_8));
    }

    /** The hypothesis {@code unitId} was claimed with; empty when it was claimed without one. */
    public static Optional<String> hypothesis(Path dataDir, String unitId) {
        try {
            String text = Files.readString(file(dataDir, unitId).resolveSibling(unitId + ".hypothesis"));
            return text.isBlank() ? Optional.empty() : Optional.of(text.strip());
        } catch (IOException e) {
            return Optional.empty();  // none kept (claimed without one, or before round 33)
        }
    }

    /**
     * The claim of {@code unitId} saved in {@code dataDir}; none there is {@code unknown_unit}
     * (exit 2: no coordinator was asked), naming {@code option} when that gave the id (null: it
     * came from a workspace's claim, whose data directory may be the one at fault).
     */
    public static WorkUnit load(Path dataDir, String unitId, String option) throws IOException {
        return load(dataDir, unitId, option, null, new FollowUp(null, dataDir));
    }

    /**
     * As {@link #load(Path, String, String)}; {@code workspace}: the unit's checkout, named by a
     * given-back hint (null: not known); {@code where}: named in the commands its hints print.
     */
    public static WorkUnit load(Path dataDir, String unitId, String option, Path workspace, FollowUp where)
            throws IOException {
        Path f = file(dataDir, unitId);
        Path done = f.resolveSibling(unitId + ".submitted");
        if (!Files.exists(f) && Files.isRegularFile(done)) {
            // The usual way here: `submit` run a second time in the same workspace. "Claim it
            // first" would be wrong (it was claimed, and its experiment went in).
            List<String> lines = Files.readAllLines(done);
            String commits = lines.isEmpty() ? "" : lines.get(0).strip();
            throw new CommandException(ExitCodes.USAGE, "already_submitted", "unit " + unitId
                    + " was already submitted (commit " + commits + "); its lease is closed",
                    "to go on from there, claim again: `" + where.command("claim --direction " + direction(lines)
                            + " --from " + commits.split(" ")[0] + " --workspace "
                            + NewWorkspace.beside("from-" + CommitId.abbreviate(commits.split(" ")[0]))) + "` (and `"
                            + where.command("wait --commit " + commits.split(" ")[0]) + "` for its outcome)");
        }
        Path givenBack = f.resolveSibling(unitId + ".given-back");
        if (!Files.exists(f) && Files.isRegularFile(givenBack)) {
            // given_back, not the generic usage: an agent acts on it (claim anew) without reading the words
            List<String> lines = Files.readAllLines(givenBack);
            throw new CommandException(ExitCodes.USAGE, "given_back", "unit " + unitId + " was given back "
                    + by(lines) + "; its lease is closed", givenBackHint(direction(lines), commit(lines), workspace, where));
        }
        if (!Files.exists(f)) {
            throw Unknown.error("unit", "no claim of unit " + unitId + " in " + dataDir
                    + " (claim it first with `rhizome claim`)" + held(dataDir, unitId),
                    "a claim is kept in the --data-dir that claimed it until its experiment is submitted: "
                            + "pass that --data-dir (or RHIZOME_DATA_DIR), or claim a new unit with "
                            + "`" + where.command("claim --direction " + Shell.quote(hintDirection(dataDir))
                            + " --workspace " + NewWorkspace.beside("workspace")) + "`",
                    option);
        }
        try {
            return WorkUnit.parseFrom(Files.readAllBytes(f));
        } catch (InvalidProtocolBufferException e) {
            throw new CommandException(ExitCodes.FAILED, f + " is corrupt: " + e.getMessage());
        }
    }

    private static final String DIRECTION = "direction=";

    /**
     * The direction a hint's `rhizome claim` names where the unit is not known: the one every claim
     * this data directory kept (held, submitted or given back) was of, else the workspace's claim
     * this runs in, else {@link ImpliedDirection#PLACEHOLDER} (the caller that can ask the
     * coordinator fills that in). It said `--direction D` where the data directory had only ever
     * claimed one direction.
     */
    private static String hintDirection(Path dataDir) {
        java.util.Set<String> directions = new java.util.TreeSet<>();
        try (var files = Files.list(dataDir.resolve("claims"))) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                int dot = name.indexOf('.');
                if (dot > 0 && (name.endsWith(".pb") || name.endsWith(".submitted") || name.endsWith(".given-back"))) {
                    direction(dataDir, name.substring(0, dot)).ifPresent(directions::add);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no claims directory, or one unreadable: nothing names a direction
        }
        return directions.size() == 1 ? directions.iterator().next()
                : ImpliedDirection.forHint(null, (dev.rhizome.node.api.CoordinatorClient) null);
    }

    /** The claims the data directory does hold, and the nearest to a mistyped id: cheap to list, and the id is long. */
    private static String held(Path dataDir, String unitId) {
        List<String> ids;
        try (var files = Files.list(dataDir.resolve("claims"))) {
            ids = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pb"))
                    .map(n -> n.substring(0, n.length() - 3)).sorted().toList();
        } catch (IOException e) {
            ids = List.of();
        }
        if (ids.isEmpty()) {
            return "; it holds no claim";
        }
        String meant = Suggestions.didYouMean(unitId, ids).strip();
        return "; it holds " + Unknown.shown(ids) + (meant.isEmpty() ? "" : "; " + meant);
    }

    /**
     * The direction of a unit this data directory claimed, whether its claim is held, submitted or
     * given back; empty where nothing kept it (a marker from before, an unreadable file).
     */
    public static Optional<String> direction(Path dataDir, String unitId) {
        try {
            Path f = file(dataDir, unitId);
            if (Files.isRegularFile(f)) {
                return Optional.of(WorkUnit.parseFrom(Files.readAllBytes(f)).getDirection()).filter(d -> !d.isEmpty());
            }
            for (String marker : List.of(".submitted", ".given-back")) {
                Path m = f.resolveSibling(unitId + marker);
                if (Files.isRegularFile(m)) {
                    return Optional.of(direction(Files.readAllLines(m))).filter(d -> !d.equals("D"));
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable claim names no direction: the caller falls back as if there were none
        }
        return Optional.empty();
    }

    /**
     * The commits a submit of this data directory's unit went in with, as its marker recorded them;
     * empty while the unit is not submitted (held, given back, or never claimed here).
     */
    public static List<String> submitted(Path dataDir, String unitId) {
        Path m = file(dataDir, unitId).resolveSibling(unitId + ".submitted");
        try {
            List<String> lines = Files.isRegularFile(m) ? Files.readAllLines(m) : List.of();
            return lines.isEmpty() ? List.of()
                    : Arrays.stream(lines.get(0).strip().split(" ")).filter(c -> c.matches("[0-9a-f]{4,64}")).toList();
        } catch (IOException e) {
            // an unreadable marker names no commit: the caller asks for --commit as if there were none
            return List.of();
        }
    }

    /** The unit's direction as its marker recorded it, or D where a marker from before kept none. */
    private static String direction(List<String> markerLines) {
        return markerLines.stream().filter(l -> l.startsWith(DIRECTION)).map(l -> l.substring(DIRECTION.length()).strip())
                .filter(d -> d.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,63}")).findFirst().orElse("D");
    }

    /**
     * The way on after a give-back. It said only "claim a new unit", yet what was committed in the
     * unit's workspace still goes in, as after an expired lease: under a new claim of the same
     * commit, without a workspace (the old one keeps the work), submitted from the old workspace
     * ({@code base}: the unit's commit, abbreviated; {@code workspace}: its checkout, null when not known).
     */
    public static String givenBackHint(String direction, String base, Path workspace, FollowUp where) {
        String submit = workspace == null
                ? "run `" + where.command("submit") + "` in the workspace you committed in"
                : "`" + where.command("submit --workspace " + Shell.quote(workspace.toAbsolutePath().normalize())) + "`";
        return "if you committed in " + (workspace == null ? "its workspace" : Shell.quote(workspace.toAbsolutePath().normalize()))
                + ", that can still go in under a new claim: claim the same commit again "
                + "with `" + where.command("claim --direction " + direction + " --from " + base) + " --json` (without "
                + "--workspace), then " + submit + " (it goes in under that new claim); with nothing committed, claim "
                + "a new unit: `" + where.command("claim --direction " + direction + " --workspace "
                        + NewWorkspace.beside(direction + "-" + base)) + "` (`" + where.command("direction list")
                + "` shows the directions)";
    }

    private static final String COMMIT = "commit=";

    /** Whether {@code unitId} was given back and forgotten ({@link #givenBack}). */
    public static boolean isGivenBack(Path dataDir, String unitId) {
        return Files.isRegularFile(file(dataDir, unitId).resolveSibling(unitId + ".given-back"));
    }

    /** The direction and whole commit a given-back unit's marker kept; empty where a marker from before kept none. */
    public static Optional<String[]> givenBackUnit(Path dataDir, String unitId) throws IOException {
        List<String> lines = Files.readAllLines(file(dataDir, unitId).resolveSibling(unitId + ".given-back"));
        Optional<String> commit = lines.stream().filter(l -> l.startsWith(COMMIT))
                .map(l -> l.substring(COMMIT.length()).strip()).filter(c -> c.matches("[0-9a-f]{40,64}")).findFirst();
        String direction = direction(lines);
        return commit.isEmpty() || direction.equals("D") ? Optional.empty()
                : Optional.of(new String[] {direction, commit.get()});
    }

    /** The unit's commit as its give-back marker recorded it, or a placeholder where a marker from before kept none. */
    private static String commit(List<String> markerLines) {
        return markerLines.stream().filter(l -> l.startsWith(COMMIT)).map(l -> l.substring(COMMIT.length()).strip())
                .filter(c -> c.matches("[0-9a-f]{4,64}")).findFirst().map(CommitId::abbreviate).orElse("<the unit's commit>");
    }

    /** Who gave a unit back, as its marker says; a marker from before that said only `rhizome unclaim`. */
    private static String by(List<String> markerLines) {
        String first = markerLines.isEmpty() ? "" : markerLines.get(0).strip();
        return first.startsWith("given back by ") ? "by " + first.substring("given back by ".length()) : "with `rhizome unclaim`";
    }

    /**
     * Before a renewal is sent: killed before its new deadline is saved, a command leaves this, and
     * the next that loads the claim renews again ({@code Research.load}), so the saved claim never
     * keeps a deadline older than the coordinator's.
     */
    public static void renewing(Path dataDir, String unitId) throws IOException {
        Path f = file(dataDir, unitId);
        Files.createDirectories(f.getParent());
        DurableFiles.replace(f.resolveSibling(unitId + RENEWING), new byte[0]);
    }

    /** Whether a renewal of the unit was sent and its answer not saved (see {@link #renewing}). */
    public static boolean isRenewing(Path dataDir, String unitId) {
        return Files.exists(file(dataDir, unitId).resolveSibling(unitId + RENEWING));
    }

    /** The renewal's answer is saved, or there is none to save (refused). */
    public static void renewed(Path dataDir, String unitId) throws IOException {
        Files.deleteIfExists(file(dataDir, unitId).resolveSibling(unitId + RENEWING));
    }

    private static final String RENEWING = ".renewing";

    /**
     * Before a give-back is sent: its marker, beside the claim, which goes once the coordinator
     * answered ({@link #givenBack}). Killed between the two, a command leaves both, and the next
     * that loads the claim finishes the give-back ({@link #isGivingBack}) rather than work on a
     * unit its agent gave up.
     */
    public static void givingBack(Path dataDir, WorkUnit unit, String by) throws IOException {
        Path f = file(dataDir, unit.getId());
        Files.createDirectories(f.getParent());
        DurableFiles.replace(f.resolveSibling(unit.getId() + ".given-back"), ("given back by " + by + "\n"
                + DIRECTION + unit.getDirection() + "\n" + COMMIT + unit.getCommit() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a give-back of the unit was begun and the claim is still here (see {@link #givingBack}). */
    public static boolean isGivingBack(Path dataDir, String unitId) {
        Path f = file(dataDir, unitId);
        return Files.exists(f) && Files.isRegularFile(f.resolveSibling(unitId + ".given-back"));
    }

    /** Who began the give-back of the unit, in words, as its marker says. */
    public static String givingBackBy(Path dataDir, String unitId) throws IOException {
        List<String> lines = Files.readAllLines(file(dataDir, unitId).resolveSibling(unitId + ".given-back"));
        String first = lines.isEmpty() ? "" : lines.get(0).strip();
        return first.startsWith("given back by ") ? first.substring("given back by ".length()) : "`rhizome unclaim`";
    }

    public static void remove(Path dataDir, String unitId) throws IOException {
        Files.deleteIfExists(file(dataDir, unitId).resolveSibling(unitId + ".hypothesis"));
        Files.deleteIfExists(file(dataDir, unitId));
    }

    /**
     * Forgets a claim given back ({@code by}: who did, in words: "`rhizome unclaim`"), remembering
     * that, so a later `submit`, `renew` or `unclaim` is told so rather than to claim it first.
     */
    public static void givenBack(Path dataDir, WorkUnit unit, String by) throws IOException {
        Path f = file(dataDir, unit.getId());
        Files.createDirectories(f.getParent());
        DurableFiles.replace(f.resolveSibling(unit.getId() + ".given-back"), ("given back by " + by + "\n"
                + DIRECTION + unit.getDirection() + "\n" + COMMIT + unit.getCommit() + "\n").getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(f.resolveSibling(unit.getId() + ".hypothesis"));
        Files.deleteIfExists(f);
    }

    /**
     * Forgets a claim whose unit ended with these commits, remembering them and the unit's
     * direction (the hint to go on from there names it: it said "--direction D") so a second
     * submit is told so.
     */
    public static void remove(Path dataDir, WorkUnit unit, List<String> commits) throws IOException {
        Path f = file(dataDir, unit.getId());
        if (!commits.isEmpty()) {
            Files.createDirectories(f.getParent());
            DurableFiles.replace(f.resolveSibling(unit.getId() + ".submitted"), (String.join(" ", commits) + "\n"
                    + (unit.getDirection().isEmpty() ? "" : DIRECTION + unit.getDirection() + "\n"))
                    .getBytes(StandardCharsets.UTF_8));
        }
        Files.deleteIfExists(f.resolveSibling(unit.getId() + ".hypothesis"));
        Files.deleteIfExists(f);
    }
}
