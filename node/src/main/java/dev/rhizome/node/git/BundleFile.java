package dev.rhizome.node.git;

import java.nio.file.Path;
import java.util.List;

/**
 * A finished bundle on disk, ready to serve: its tip (the only ref it carries), size and SHA-256
 * (which go in the wire header before any byte is sent) and the commits it assumes the receiver holds.
 */
public record BundleFile(String tip, Path path, long size, byte[] sha256, List<String> prerequisites) {
    public BundleFile {
        sha256 = sha256.clone();
        prerequisites = List.copyOf(prerequisites);
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }
}
