package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/**
 * The replay benchmark measures what it says it does (its timings are its output, not asserted
 * here): each case reaches the core's step it names, counted by the real signature check.
 */
class ReplayCostTest {

    @Test
    void eachCaseReachesTheStepItNamesAndTheReportSaysTheBound() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ReplayReport report = ReplayCost.measure(200, new PrintStream(log, true));

        assertThat(report.duplicate().verifiesPerMessage()).as("a duplicate the cache holds").isZero();
        assertThat(report.duplicate().takenPerMessage()).isZero();
        assertThat(report.outside().verifiesPerMessage()).as("dropped before its signature is checked").isZero();
        assertThat(report.outside().takenPerMessage()).isZero();
        assertThat(report.replay().verifiesPerMessage()).as("every replay came back forgotten").isEqualTo(1.0);
        assertThat(report.replay().takenPerMessage()).as("and was taken as new, inside the window").isEqualTo(1.0);
        assertThat(report.fresh().verifiesPerMessage()).isEqualTo(1.0);
        assertThat(report.fresh().takenPerMessage()).isEqualTo(1.0);
        assertThat(report.replay().cpuNanos()).isPositive();

        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.get("mode").getAsString()).isEqualTo("replay");
        assertThat(json.keySet()).contains("duplicate_us", "stale_us", "replay_us", "fresh_us", "replay_to_duplicate",
                "replay_to_fresh", "replay_verifies_per_message", "link_messages_per_second", "core_share_per_link",
                "core_share_all_links");
        assertThat(json.get("link_messages_per_second").getAsInt()).isEqualTo(50);
        assertThat(report.toText()).contains("replay / fresh record", "of a core per rogue link");
    }

    @Test
    void tooFewMessagesAreRefusedByName() {
        assertThatThrownBy(() -> ReplayCost.measure(10, new PrintStream(new ByteArrayOutputStream())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 100 messages");
    }
}
