package dev.rhizome.node.git;

import dev.rhizome.protocol.CommitId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text header of a v2 git bundle (the format JGit writes): prerequisite lines
 * ({@code -<id> <comment>}), ref lines ({@code <id> <name>}), then a blank line before the pack.
 * Read by us, with limits, so that a bundle can be judged before JGit touches the repository.
 */
record GitBundleHeader(Map<String, String> refs, List<String> prerequisites, Map<String, String> prerequisiteComments) {
    static final String V2_SIGNATURE = "# v2 git bundle";
    /** Far more than a one-ref bundle with thousands of prerequisites needs. */
    static final int MAX_HEADER_BYTES = 1 << 20;

    GitBundleHeader {
        refs = Map.copyOf(refs);
        prerequisites = List.copyOf(prerequisites);
        prerequisiteComments = Map.copyOf(prerequisiteComments);
    }

    /**
     * Reads the header from the start of {@code in}, one byte at a time, so the stream is left at
     * the pack's first byte (the import parses the pack from there; give it a buffered stream).
     */
    static GitBundleHeader read(InputStream in) throws IOException, BundleException {
        LineReader lines = new LineReader(in);
        String signature = lines.next();
        if (!V2_SIGNATURE.equals(signature)) {
            throw new BundleException("not a v2 git bundle (first line '" + shorten(signature) + "')");
        }
        Map<String, String> refs = new LinkedHashMap<>();
        List<String> prerequisites = new ArrayList<>();
        Map<String, String> comments = new LinkedHashMap<>();
        for (String line = lines.next(); !line.isEmpty(); line = lines.next()) {
            if (line.startsWith("-")) {
                String id = objectId(line.substring(1), line);
                // A writer names each once; a repeated line carries nothing but bytes.
                if (comments.put(id, line.length() > 42 ? line.substring(42) : "") != null) {
                    throw new BundleException("bundle names prerequisite " + id + " twice");
                }
                prerequisites.add(id);
            } else {
                String id = objectId(line, line);
                if (line.length() < 42 || line.charAt(40) != ' ') {
                    throw new BundleException("malformed ref line in bundle header: '" + shorten(line) + "'");
                }
                String name = line.substring(41);
                if (refs.put(name, id) != null) {
                    throw new BundleException("bundle names ref " + name + " twice");
                }
            }
        }
        return new GitBundleHeader(refs, prerequisites, comments);
    }

    private static String objectId(String text, String line) throws BundleException {
        String id = text.length() >= 40 ? text.substring(0, 40) : text;
        if (!CommitId.isValid(id) || (text.length() > 40 && text.charAt(40) != ' ')) {
            throw new BundleException("malformed line in bundle header: '" + shorten(line) + "'");
        }
        return id;
    }

    private static String shorten(String s) {
        return s == null ? "" : s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    /** Reads LF-terminated lines, refusing a header that never ends. */
    private static final class LineReader {
        private final InputStream in;
        private int consumed;

        LineReader(InputStream in) {
            this.in = in;
        }

        String next() throws IOException, BundleException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new BundleException("bundle header is truncated");
                }
                if (++consumed > MAX_HEADER_BYTES) {
                    throw new BundleException("bundle header is longer than " + MAX_HEADER_BYTES + " bytes");
                }
                if (b == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
            }
        }
    }
}
