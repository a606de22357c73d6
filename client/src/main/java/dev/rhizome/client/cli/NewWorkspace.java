package dev.rhizome.client.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A directory a printed `rhizome claim --workspace` can check out into as printed: hints said
 * `--workspace NEW_DIR`, a placeholder a shell takes as a directory named NEW_DIR (the first claim
 * made it, the second was refused as not empty). Absolute, so the command runs from anywhere;
 * beside the checkout the command runs in (a checkout inside it would nest in its repository),
 * else in the working directory; not there yet when the hint is printed.
 */
public final class NewWorkspace {
    private NewWorkspace() {
    }

    /** {@code stem}, or {@code stem-2}, {@code stem-3} ... where that is taken, quoted for a POSIX shell. */
    public static String beside(String stem) {
        Path base = base();
        String name = stem.replaceAll("[^A-Za-z0-9._-]", "-");
        Path p = base.resolve(name);
        for (int n = 2; Files.exists(p) && n < 1000; n++) {
            p = base.resolve(name + "-" + n);
        }
        return Shell.quote(p);
    }

    /**
     * A file the reader writes, there whether or not it exists yet (a paper: one written before is
     * the reader's own to write over), in the same place, absolute and quoted.
     */
    public static String fileBeside(String name) {
        return Shell.quote(base().resolve(name));
    }

    private static Path base() {
        return WorkspaceClaim.enclosingCheckout().map(Path::getParent).orElse(Path.of("").toAbsolutePath());
    }
}
