package dev.rhizome.client.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * The one rule for a path named on the command line: a file or directory the command reads must
 * be there, and a data directory must be a directory (or not exist yet). Checked as the arguments
 * are parsed, so every command fails the same way, as a bad argument (exit 2) that names the
 * option and the path, before it does anything (each command used to check on its own, some with
 * exit 1, some not until after a lease was taken). {@link ErrorReporter} turns the failure into
 * the {@code usage} error (or the option's own name for it, {@link #errorName}).
 */
public final class PathArguments {
    private PathArguments() {
    }

    /** Why a path argument cannot be used, without the option's name (picocli knows which it was). */
    public static final class Problem extends CommandLine.TypeConversionException {
        private final Path path;
        private final String next;

        /** @param next what to do about it, the start of the hint */
        Problem(Path path, String what, String next) {
            super(what);
            this.path = path;
            this.next = next;
        }

        public Path path() {
            return path;
        }
    }

    /** A file the command reads: it must exist and be a regular file. */
    public static final class InputFile implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = Path.of(value);
            if (!Files.exists(p)) {
                throw new Problem(p, "no such file", "check the path");
            }
            if (Files.isDirectory(p)) {
                throw new Problem(p, "is a directory, not a file", "name the file itself");
            }
            if (!Files.isRegularFile(p)) {
                // a FIFO or a device: reading it could block or never end
                throw new Problem(p, "is not a regular file", "name a regular file");
            }
            return p;
        }
    }

    /** A file the command reads, as {@link InputFile}, or '-': standard input. */
    public static final class InputFileOrStdin implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            return value.equals("-") ? Path.of(value) : new InputFile().convert(value);
        }
    }

    /** A directory the command reads: it must exist and be a directory. */
    public static final class InputDirectory implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = Path.of(value);
            if (!Files.exists(p)) {
                throw new Problem(p, "no such directory", "check the path");
            }
            if (!Files.isDirectory(p)) {
                throw new Problem(p, "is a file, not a directory", "name the directory, not a file in it");
            }
            return p;
        }
    }

    /** A directory the command keeps its data or writes in (--data-dir, --workspaces), made when missing: not a file. */
    public static final class DataDirectory implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            return makeableDirectory(value, "give a directory: a new one (it is made) or one used before; never a file");
        }
    }

    /**
     * The directory `claim` checks a unit out into: new or empty, never a file. A file here was
     * answered `workspace_not_empty`, which sent the user looking for files to delete in it.
     * (Whether a directory is empty is `claim`'s to say, under its workspace lock.)
     */
    public static final class WorkspaceDirectory implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            return makeableDirectory(value, "give a new directory (claim makes it) or an empty one; never a file");
        }
    }

    /** A directory that is there or can be made: never a file, its place makeable. */
    private static Path makeableDirectory(String value, String next) {
        Path p = Path.of(value);
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new Problem(p, "is a file, not a directory", next);
        }
        return creatable(p);
    }

    /**
     * A file the command writes (--out): not a directory, not a device or FIFO (the file is
     * replaced by a rename, which would replace the device node itself), and its place makeable.
     */
    public static final class OutputFile implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = Path.of(value);
            if (Files.isDirectory(p)) {
                throw new Problem(p, "is a directory, not a file", "name the file itself, e.g. "
                        + p.toAbsolutePath().normalize().resolve("FILE"));
            }
            if (Files.exists(p) && !Files.isRegularFile(p)) {
                throw new Problem(p, "is not a regular file (it would be replaced)", "name a regular file, new or old");
            }
            return creatable(p);
        }
    }

    /**
     * A path that is made when missing: the nearest part of it that exists must be a directory.
     * `--data-dir /etc/passwd/x` failed only once used, as "already exists: /etc/passwd" (exit 1)
     * or "not a directory", after `agent` had already leased a unit.
     */
    static Path creatable(Path p) {
        Path absolute = p.toAbsolutePath().normalize();
        for (Path up = absolute.getParent(); up != null; up = up.getParent()) {
            if (Files.isDirectory(up)) {
                return p;
            }
            if (Files.exists(up)) {
                throw new Problem(p, "cannot be made: " + up + " is a file, not a directory",
                        "give a path under a directory");
            }
        }
        return p;
    }

    /** The error name of a path option that has its own (documented before this rule): `usage` for the rest. */
    static String errorName(CommandLine.Model.ArgSpec arg) {
        return arg instanceof CommandLine.Model.OptionSpec o && o.longestName().equals("--paper") ? "no_paper" : "usage";
    }

    /** "--config nope.json: no such file (/home/me/nope.json)", or, for a positional argument, without the option. */
    static String message(CommandLine.Model.ArgSpec arg, Problem problem) {
        String named = arg instanceof CommandLine.Model.OptionSpec o ? o.longestName() + " " + problem.path() : problem.path().toString();
        return named + ": " + problem.getMessage() + (problem.path().isAbsolute() ? "" : " (" + problem.path().toAbsolutePath().normalize() + ")");
    }

    /** The next step: the path is wrong, or relative to another directory than the user thought. */
    static String hint(Problem problem, String command) {
        return problem.next + (problem.path().isAbsolute() ? "" : " (a relative path starts from the current directory, "
                + Path.of("").toAbsolutePath() + ")") + "; see `" + command + " --help`";
    }
}
