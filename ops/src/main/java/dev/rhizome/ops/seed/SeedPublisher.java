package dev.rhizome.ops.seed;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.seed.ManifestException;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * Turns a seed's files into a root commit in a node's repository and publishes the signed Seed
 * record. The commit's author and time are fixed, so the same files always give the same seed
 * commit, on any machine.
 */
public final class SeedPublisher {
    private static final PersonIdent SEED_AUTHOR = new PersonIdent("rhizome seed", "seed@rhizome",
            Date.from(Instant.parse("2026-01-01T00:00:00Z")), TimeZone.getTimeZone("UTC"));

    private SeedPublisher() {
    }

    /** Reads every regular file under {@code dir} except git metadata. */
    public static SortedMap<String, byte[]> filesOf(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("seed directory " + dir + " does not exist");
        }
        SortedMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (!rel.startsWith(".git/")) {
                    files.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return files;
    }

    /** Reads and validates the manifest among the seed's files. */
    public static Manifest manifestOf(SortedMap<String, byte[]> files) throws ManifestException {
        byte[] json = files.get(Manifests.FILE_NAME);
        if (json == null) {
            throw new ManifestException("the seed has no " + Manifests.FILE_NAME);
        }
        Manifest manifest = Manifests.parse(new String(json, StandardCharsets.UTF_8));
        for (String f : manifest.getEditableFilesList()) {
            if (!files.containsKey(f)) {
                throw new ManifestException("editable file " + f + " is not in the seed");
            }
        }
        for (String f : manifest.getProtectedFilesList()) {
            if (!files.containsKey(f)) {
                throw new ManifestException("protected file " + f + " is not in the seed");
            }
        }
        return manifest;
    }

    /** Commits the seed into the repository (a no-op when it is already there) and returns the commit. */
    public static String commit(NodeRepository repository, SortedMap<String, byte[]> files, String name)
            throws IOException {
        Map<String, byte[]> changes = new HashMap<>(files);
        return repository.commitFiles(null, changes, "seed " + name, SEED_AUTHOR);
    }

    public static Seed publish(NodeRepository repository, SortedMap<String, byte[]> files, CoordinatorClient coordinator,
            Clock clock) throws IOException, ManifestException, CoordinatorException {
        Manifest manifest = manifestOf(files);
        String commit = commit(repository, files, manifest.getName());
        Seed seed = Seed.newBuilder()
                .setName(manifest.getName())
                .setCommit(commit)
                .setManifest(manifest)
                .setPublisher(coordinator.identity().publicId().toByteString())
                .setPublishedMs(clock.millis())
                .build();
        coordinator.publishSeed(seed);
        return seed;
    }
}
