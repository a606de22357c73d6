package dev.rhizome.protocol.seed;

import dev.rhizome.proto.v1.ProtectedRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Read-only regions inside editable files: the seed's brief may let agents change a file but not
 * the evaluation or the rules written inside it. A region runs from the line containing its begin
 * marker to the line containing its end marker; every such block of the seed's file must appear
 * unchanged and in the same order in the experiment's file. Pure: the caller reads the files.
 */
public final class ProtectedRegions {
    private ProtectedRegions() {
    }

    /**
     * What breaks the seed's protected regions, one line per problem; empty when nothing does.
     *
     * @param seedFile       a file's text at the seed's commit, empty when absent
     * @param experimentFile the same file's text at the experiment's commit, empty when absent
     */
    public static List<String> violations(List<ProtectedRegion> regions, Function<String, Optional<String>> seedFile,
            Function<String, Optional<String>> experimentFile) {
        List<String> problems = new ArrayList<>();
        for (ProtectedRegion region : regions) {
            Optional<String> before = seedFile.apply(region.getFile());
            if (before.isEmpty()) {
                continue;
            }
            List<String> expected = blocks(before.get(), region);
            List<String> actual = blocks(experimentFile.apply(region.getFile()).orElse(""), region);
            if (!expected.equals(actual)) {
                problems.add(region.getFile() + ": the read-only region between '" + region.getBeginMarker()
                        + "' and '" + region.getEndMarker() + "' was changed");
            }
        }
        return problems;
    }

    /** The text of each begin..end block, markers included; an unterminated block runs to the end. */
    static List<String> blocks(String text, ProtectedRegion region) {
        List<String> blocks = new ArrayList<>();
        StringBuilder current = null;
        String begin = region.getBeginMarker();
        String end = region.getEndMarker();
        for (String line : text.split("\n", -1)) {
            if (current == null) {
                if (line.contains(begin)) {
                    current = new StringBuilder(line).append('\n');
                    if (!begin.equals(end) && line.contains(end)) {
                        blocks.add(current.toString());
                        current = null;
                    }
                }
                continue;
            }
            current.append(line).append('\n');
            if (line.contains(end)) {
                blocks.add(current.toString());
                current = null;
            }
        }
        if (current != null) {
            blocks.add(current.toString());
        }
        return blocks;
    }
}
