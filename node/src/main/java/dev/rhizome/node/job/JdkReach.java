package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Whether jobs of a uid and group that are not the volunteer's (a subordinate uid's, a root node's) can
 * reach the node's JDK, which every job binds read-only: they pass a directory only through its
 * others' search bit, so one JDK under a 0750 home ({@code ~/.sdkman}, {@code ~/.jdks}) is out of their
 * reach, and the doctor's trial job then fails. This names the directories on the way that block, and
 * the remedy the doctor prints with its {@code shared} verdict.
 */
final class JdkReach {
    private JdkReach() {
    }

    /**
     * The directories from {@code /} down to {@code javaHome} (its real path, links resolved as bubblewrap's
     * bind resolves them) whose mode lets others not pass, first the one nearest the root; empty when
     * every one lets them, or when a mode cannot be read (then nothing is claimed).
     */
    static List<Path> blocking(Path javaHome) {
        Path real;
        try {
            real = javaHome.toRealPath();
        } catch (IOException e) {
            return List.of();
        }
        return blocking(real, JdkReach::modeOf);
    }

    /** @param modes a directory's permissions, empty when unknown */
    static List<Path> blocking(Path realJavaHome, Function<Path, Optional<Set<PosixFilePermission>>> modes) {
        List<Path> blocking = new ArrayList<>();
        Path dir = realJavaHome.getRoot();
        List<Path> way = new ArrayList<>();
        way.add(dir);
        for (Path name : realJavaHome) {
            dir = dir.resolve(name);
            way.add(dir);
        }
        for (Path d : way) {
            Optional<Set<PosixFilePermission>> mode = modes.apply(d);
            if (mode.isPresent() && !mode.get().contains(PosixFilePermission.OTHERS_EXECUTE)) {
                blocking.add(d);
            }
        }
        return blocking;
    }

    /**
     * What the doctor says when the JDK at {@code javaHome} is out of the jobs' reach through
     * {@code blocking} (non-empty, nearest the root first), and how to bring it back.
     */
    static String remedy(Path javaHome, List<Path> blocking, Function<Path, Optional<Set<PosixFilePermission>>> modes) {
        Path first = blocking.get(0);
        String mode = modes.apply(first).map(PosixFilePermissions::toString).orElse("?");
        StringBuilder dirs = new StringBuilder();
        for (Path d : blocking) {
            dirs.append(' ').append(d);
        }
        return "the node's JDK (" + javaHome + ") is out of reach of jobs of a uid and group not the volunteer's: "
                + first + " (" + mode + ") lets no other user pass; run the node with a JDK outside the home (a "
                + "system one, e.g. under /usr/lib/jvm), or let others pass the directories on its way: chmod o+x"
                + dirs + "; then `rhizome node doctor` again";
    }

    /** {@link #remedy} with the machine's own modes, or empty when the JDK is within reach. */
    static Optional<String> remedy(Path javaHome) {
        List<Path> blocking = blocking(javaHome);
        if (blocking.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(remedy(javaHome, blocking, JdkReach::modeOf));
    }

    private static Optional<Set<PosixFilePermission>> modeOf(Path dir) {
        try {
            return Optional.of(Files.getPosixFilePermissions(dir));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
