package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommitPolicyTest {
    @Test
    void onlyEditableFilesMayChange() {
        List<String> editable = List.of("Train.java", "config.properties");

        assertThat(CommitPolicy.forbiddenChanges(List.of("config.properties"), editable)).isEmpty();
        assertThat(CommitPolicy.forbiddenChanges(List.of("config.properties", "rhizome.json", "evil.sh"), editable))
                .containsExactly("evil.sh", "rhizome.json");
    }
}
