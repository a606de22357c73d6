package dev.rhizome.client.cli;

import java.nio.file.Path;

/**
 * The data directory and coordinator a command ran with, named in every `rhizome` command it
 * prints for the reader to run next. A newcomer who typed `--coordinator` and `--data-dir` was
 * offered `rhizome publish ...` or `rhizome wait --commit C` bare; copied into a shell, those asked
 * ~/.rhizome and the default coordinator, and were refused. Naming both (absolute, quoted) makes a
 * printed command run as printed from any directory. {@code null} fields: unknown, left out.
 */
public record FollowUp(String coordinator, Path dataDir) {
    /** A follow-up that names neither (a reason worded where neither is known). */
    public static final FollowUp BARE = new FollowUp(null, null);

    /** What the command was given, or took by default: the same as it used. */
    public static FollowUp of(CoordinatorOption coordinator, DataDirOption dataDir) {
        return new FollowUp(coordinator.url(), dataDir.path());
    }

    /** {@code " --data-dir DIR --coordinator URL"}, each present one quoted for a POSIX shell. */
    public String flags() {
        return (dataDir == null ? "" : " --data-dir " + Shell.quote(dataDir.toAbsolutePath().normalize()))
                + (coordinator == null ? "" : " --coordinator " + Shell.quote(coordinator));
    }

    /** {@code "rhizome " + words} with {@link #flags()} after them. */
    public String command(String words) {
        return "rhizome " + words + flags();
    }
}
