package dev.rhizome.ops.seed;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.ManifestException;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The GPU seed: a small GPT in PyTorch (CUDA when present, the CPU otherwise) on a synthetic
 * source with long-range copies and an exact entropy rate. {@code train.py} and its config are
 * the proposer's; {@code harness.py} and {@code source.py} are protected. Its files are resources
 * under {@value #RESOURCE_DIR}; it needs {@code python3} with torch and numpy on the node.
 */
public final class GptTorchSeed {
    public static final String NAME = "gpt-torch";
    static final String RESOURCE_DIR = "/seeds/gpt-torch/";
    /** Every file of the seed: a directory inside a jar can't be listed, so they are named here. */
    static final List<String> FILE_NAMES = List.of(".gitignore", "BRIEF.md", "config.properties", "harness.py",
            Manifests.FILE_NAME, "source.py", "train.py");

    private GptTorchSeed() {
    }

    /** Relative path to content, for every file of the seed. */
    public static SortedMap<String, byte[]> files() {
        SortedMap<String, byte[]> files = new TreeMap<>();
        for (String name : FILE_NAMES) {
            files.put(name, resource(name));
        }
        return Collections.unmodifiableSortedMap(files);
    }

    public static Manifest manifest() {
        try {
            return Manifests.parse(new String(resource(Manifests.FILE_NAME), StandardCharsets.UTF_8));
        } catch (ManifestException e) {
            throw new IllegalStateException("the bundled " + NAME + " seed has a broken manifest", e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = GptTorchSeed.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("seed file missing from the classpath: " + RESOURCE_DIR + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read seed file " + RESOURCE_DIR + name, e);
        }
    }
}
