package dev.rhizome.ops.seed;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.Manifests;
import java.util.List;
import java.util.SortedMap;

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

    private static final SeedResources RESOURCES = new SeedResources(NAME, RESOURCE_DIR, FILE_NAMES);

    private GptTorchSeed() {
    }

    /** Relative path to content, for every file of the seed. */
    public static SortedMap<String, byte[]> files() {
        return RESOURCES.files();
    }

    public static Manifest manifest() {
        return RESOURCES.manifest();
    }
}
