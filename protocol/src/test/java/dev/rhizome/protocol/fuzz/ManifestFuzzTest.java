package dev.rhizome.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.ManifestException;
import dev.rhizome.protocol.seed.Manifests;

/** A seed's rhizome.json: a valid manifest, or a ManifestException that names the problem. */
class ManifestFuzzTest {
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    void parsingAnyManifestFailsCleanly(FuzzedDataProvider data) {
        try {
            Manifest manifest = Manifests.parse(data.consumeRemainingAsString());
            Manifests.validate(manifest);
            assertThat(Integer.toUnsignedLong(manifest.getTimeoutSeconds())).isBetween(1L, Manifests.MAX_TIMEOUT_SECONDS);
            assertThat(Manifests.quorum(manifest)).isBetween(1, Manifests.MAX_QUORUM);
        } catch (ManifestException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
