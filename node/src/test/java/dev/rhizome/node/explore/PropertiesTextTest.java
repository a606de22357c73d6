package dev.rhizome.node.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PropertiesTextTest {
    private static final String TEXT = "# the optimiser\nlearning_rate = 0.01\n\n# model\nhidden=32\ncontext: 3\n";

    @Test
    void readsKeyValueLinesIgnoringComments() {
        assertThat(PropertiesText.read(TEXT)).containsExactly(
                Map.entry("learning_rate", "0.01"), Map.entry("hidden", "32"), Map.entry("context", "3"));
    }

    @Test
    void rewritesOnlyTheChangedLinesAndKeepsLayout() {
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("hidden", "64");
        changes.put("dropout", "0.1");

        String out = PropertiesText.write(TEXT, changes);

        assertThat(out).isEqualTo("# the optimiser\nlearning_rate = 0.01\n\n# model\nhidden=64\ncontext: 3\ndropout=0.1\n");
    }

    @Test
    void valuesWithRegexSpecialCharactersAreWrittenLiterally() {
        assertThat(PropertiesText.write("a=1\n", Map.of("a", "$1\\x"))).isEqualTo("a=$1\\x\n");
    }
}
