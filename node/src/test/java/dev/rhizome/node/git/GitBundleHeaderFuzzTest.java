package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A bundle from a peer starts with a header we parse ourselves: a header or a BundleException. */
class GitBundleHeaderFuzzTest {
    @FuzzTest(maxDuration = "2m")
    void readingAnyHeaderFailsCleanly(FuzzedDataProvider data) throws IOException {
        byte[] bytes = data.consumeBoolean()
                ? ("# v2 git bundle\n" + data.consumeRemainingAsString()).getBytes(StandardCharsets.UTF_8)
                : data.consumeRemainingAsBytes();
        try {
            GitBundleHeader header = GitBundleHeader.read(new ByteArrayInputStream(bytes));
            assertThat(header.refs()).isNotNull();
            header.prerequisites().forEach(p -> assertThat(p).hasSize(40));
        } catch (BundleException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
