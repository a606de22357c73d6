package dev.rhizome.node.work;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.ProtectedRegions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A volunteer runs a stranger's commit only if it changes nothing but the files the seed lets
 * experiments change: the command, the manifest and the evaluation stay the seed's own. Pure.
 */
public final class CommitPolicy {
    private CommitPolicy() {
    }

    /**
     * The changed paths that are the seed's {@code protected_files} (its harness and data source,
     * which measure every candidate alike), empty when none is: checked before the editable files,
     * so the node's refusal and `submit`'s name the same files for the same reason.
     */
    public static Set<String> protectedChanges(Collection<String> changedSinceSeed, Manifest manifest) {
        Set<String> touched = new TreeSet<>(changedSinceSeed);
        touched.retainAll(manifest.getProtectedFilesList());
        return touched;
    }

    /** Why a commit that changed {@code touched}, all of them protected files, may not run. */
    public static String protectedReason(Set<String> touched) {
        return "it changes " + String.join(", ", touched)
                + ", protected by the seed: the harness and its data source measure every candidate alike";
    }

    /** The changed paths that the seed does not allow, empty when the commit may run. */
    public static Set<String> forbiddenChanges(Collection<String> changedSinceSeed, Collection<String> editableFiles) {
        Set<String> forbidden = new TreeSet<>(changedSinceSeed);
        forbidden.removeAll(editableFiles);
        return forbidden;
    }

    /**
     * The seed's read-only regions inside editable files that {@code commit} changed (see
     * {@link ProtectedRegions}); the node checks this before it runs anything, and `submit` and
     * `agent` check it before they propose.
     */
    public static List<String> protectedRegionViolations(NodeRepository repository, Manifest manifest,
            String seedCommit, String commit) throws IOException {
        return protectedRegionViolations(repository::readFile, manifest, seedCommit, commit);
    }

    /** A file of a commit as some repository holds it: a node's, or an agent's workspace before `submit` imports anything. */
    @FunctionalInterface
    public interface FileReader {
        Optional<byte[]> readFile(String commit, String path) throws IOException;
    }

    /** As {@link #protectedRegionViolations(NodeRepository, Manifest, String, String)}, reading through {@code files}. */
    public static List<String> protectedRegionViolations(FileReader files, Manifest manifest, String seedCommit,
            String commit) throws IOException {
        if (manifest.getProtectedRegionsCount() == 0) {
            return List.of();
        }
        try {
            return ProtectedRegions.violations(manifest.getProtectedRegionsList(),
                    path -> text(files, seedCommit, path), path -> text(files, commit, path));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static Optional<String> text(FileReader files, String commit, String path) {
        try {
            return files.readFile(commit, path).map(b -> new String(b, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
