package dev.rhizome.node.git;

import dev.rhizome.node.job.JobText;
import java.nio.charset.StandardCharsets;

/** Paths inside a commit's tree: relative, '/'-separated, never escaping the checkout or touching .git. */
final class GitPaths {
    private GitPaths() {
    }

    static String requireSafe(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")
                || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a relative file path: '" + shown(path) + "'");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > TreeNames.MAX_PATH_BYTES) {
            throw new IllegalArgumentException("path longer than " + TreeNames.MAX_PATH_BYTES + " bytes: '" + shown(path) + "'");
        }
        for (String segment : path.split("/", -1)) {
            String problem = TreeNames.problem(segment);
            if (problem != null) {
                throw new IllegalArgumentException("unsafe path in commit (" + problem + "): '" + shown(path) + "'");
            }
        }
        return path;
    }

    /** A stranger's path in a message: printable ({@link dev.rhizome.node.job.JobText}), it may reach a terminal. */
    private static String shown(String path) {
        return path == null ? "null" : JobText.printable(path, 300);
    }
}
