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
 * A seed shipped as classpath resources under one directory. A directory inside a jar can't be
 * listed, so every file is named.
 */
record SeedResources(String name, String directory, List<String> fileNames) {

    /** Relative path to content, for every file of the seed. */
    SortedMap<String, byte[]> files() {
        SortedMap<String, byte[]> files = new TreeMap<>();
        for (String file : fileNames) {
            files.put(file, read(file));
        }
        return Collections.unmodifiableSortedMap(files);
    }

    Manifest manifest() {
        try {
            return Manifests.parse(new String(read(Manifests.FILE_NAME), StandardCharsets.UTF_8));
        } catch (ManifestException e) {
            throw new IllegalStateException("the bundled " + name + " seed has a broken manifest", e);
        }
    }

    byte[] read(String file) {
        try (InputStream in = SeedResources.class.getResourceAsStream(directory + file)) {
            if (in == null) {
                throw new IllegalStateException("seed file missing from the classpath: " + directory + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read seed file " + directory + file, e);
        }
    }
}
