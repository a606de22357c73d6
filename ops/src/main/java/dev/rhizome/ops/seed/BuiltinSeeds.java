package dev.rhizome.ops.seed;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/** The seeds shipped with rhizome, by name, for {@code rhizome seed publish --builtin NAME}. */
public final class BuiltinSeeds {
    public static final List<String> NAMES = List.of(TinyLmSeed.NAME, GptTorchSeed.NAME);

    private BuiltinSeeds() {
    }

    /** Every file of the named seed, or empty when no seed of that name ships. */
    public static Optional<SortedMap<String, byte[]>> files(String name) {
        return switch (name) {
            case TinyLmSeed.NAME -> Optional.of(TinyLmSeed.files());
            case GptTorchSeed.NAME -> Optional.of(GptTorchSeed.files());
            default -> Optional.empty();
        };
    }
}
