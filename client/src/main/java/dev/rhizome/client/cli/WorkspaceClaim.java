package dev.rhizome.client.cli;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * What `rhizome claim --workspace` checked a workspace out for: the unit, the data directory that
 * holds the claim (and the key that took it) and the coordinator. Kept inside the workspace's
 * `.git` directory, where git keeps tools' state and where no commit picks it up, so `rhizome
 * submit` and `rhizome renew` run in the workspace need no flags: an agent that changed directory
 * and lost the claim's output (or its environment) still submits under the right key.
 */
public record WorkspaceClaim(String unitId, Path dataDir, String coordinator) {
    private static final String FILE = "rhizome-claim";

    private static Path file(Path workspace) {
        return workspace.resolve(".git").resolve(FILE);
    }

    /** Records the claim in the workspace (best effort: the claim's own answer names the unit too). */
    public void write(Path workspace) throws IOException {
        Properties p = new Properties();
        p.setProperty("unit", unitId);
        p.setProperty("data_dir", dataDir.toAbsolutePath().toString());
        p.setProperty("coordinator", coordinator);
        // Whole or not at all: a claim cut short by a kill would send a later submit to no unit.
        DurableFiles.replace(file(workspace), out -> p.store(out,
                "written by `rhizome claim`; read by `rhizome submit` and `rhizome renew` run here"));
    }

    /** The claim recorded in the workspace, if `rhizome claim` made it and the record is whole. */
    public static Optional<WorkspaceClaim> read(Path workspace) {
        Path f = file(workspace);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        String unit = p.getProperty("unit", "");
        String dir = p.getProperty("data_dir", "");
        String url = p.getProperty("coordinator", "");
        if (unit.isEmpty() || dir.isEmpty() || url.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new WorkspaceClaim(unit, Path.of(dir), url));
    }

    /**
     * The claim of the workspace the command runs in (the working directory or a directory above
     * it), if any: every command run there talks to the coordinator and data directory of the
     * claim, as `submit` and `renew` always did (`rhizome wait` in a workspace asked the default
     * coordinator instead). Options and environment variables still win.
     */
    public static Optional<WorkspaceClaim> ofWorkingDirectory() {
        return enclosingCheckout().flatMap(WorkspaceClaim::read);
    }

    /**
     * The git checkout the working directory is in (itself or the nearest directory above it with
     * a {@code .git} directory), as git finds it; empty outside any.
     */
    public static Optional<Path> enclosingCheckout() {
        try {
            for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
                if (Files.isDirectory(d.resolve(".git"))) {
                    return Optional.of(d);
                }
            }
        } catch (RuntimeException e) {
            // an unreadable working directory: no workspace
        }
        return Optional.empty();
    }

    /**
     * The workspace a command given no {@code --workspace} acts on: the checkout the working
     * directory is in, when `rhizome claim` made it, else the working directory itself. `rhizome
     * submit` run in a subdirectory of the workspace (where an agent's edit left its shell) said
     * "not a workspace made by `rhizome claim --workspace`", where git itself would have worked.
     */
    public static Path defaultWorkspace() {
        return enclosingCheckout().filter(d -> read(d).isPresent()).orElse(Path.of("."));
    }

    /**
     * Fills in what the command line left out: options and environment variables win, then the
     * workspace's record. Returns the unit to act on, or explains how to name one.
     */
    public static String applyTo(Path workspace, String unitOption, DataDirOption dataDir, CoordinatorOption coordinator) {
        Optional<WorkspaceClaim> claim = read(workspace);
        claim.ifPresent(c -> {
            dataDir.defaultTo(c.dataDir());
            coordinator.defaultTo(c.coordinator());
        });
        if (unitOption != null) {
            return HeldClaims.resolve(dataDir.path(), unitOption, "--unit", m -> System.err.println("rhizome: " + m));
        }
        // the claims held are listed: "pass --unit <id>" alone sent the user looking for an id
        // printed minutes ago, when the data directory knows which units it could be
        return claim.map(WorkspaceClaim::unitId).orElseThrow(() -> CommandException.usage("--unit",
                "--unit is missing, and " + workspace.toAbsolutePath().normalize()
                        + " is not a workspace made by `rhizome claim --workspace`; " + HeldClaims.listed(dataDir.path()),
                (HeldClaims.count(dataDir.path()) > 0 ? "pass --unit <id> (one of those; a unique start of it is enough)"
                        : "pass --unit <id> (the id `rhizome claim` printed; another --data-dir may hold its claim)")
                        + ", or run this in the claimed workspace (or name it with --workspace DIR)"));
    }
}
