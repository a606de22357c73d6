package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** A volunteer reading `rhizome node status` sees whether peers can fetch from the node, and why not, and what its counts mean. */
class NodeStatusTextTest {
    private static final String STATUS = """
            {"node":"n1","paused":false,"gate":"open","slots":[],"queued":0,
             "credit":{"results_reported":0,"experiments_proposed":0,"jobs_run":0,"outbox_pending":0},
             "disk":null,"peers":%s}""";

    @Test
    void aNodePeersCannotReachSaysSoAndWhy() {
        String text = NodeStatusText.render(status("""
                {"announced":"192.168.1.5:7000","reachable":false,"reason":"this node announces 192.168.1.5 (on a private network)"}"""));
        assertThat(text).contains("NOT REACHABLE BY PEERS at 192.168.1.5:7000: this node announces 192.168.1.5 (on a private network)");
    }

    @Test
    void aReachableNodeNamesItsAddressAndAnOlderNodeWithoutTheKeyStillRenders() {
        assertThat(NodeStatusText.render(status("""
                {"announced":"8.8.8.8:7000","reachable":true,"reason":null}"""))).contains("peers fetch from this node at 8.8.8.8:7000");
        assertThat(NodeStatusText.render(status("null"))).doesNotContain("peers");
    }

    /** A node just restarted counts from zero: the status says these are this run's counts, and where the lasting credit is. */
    @Test
    void theCountsAreSaidToBeThisRunsAndTheLastingCreditIsNamed() {
        String text = NodeStatusText.render(status("null"));
        assertThat(text).contains("since this node started: 0 results reported").contains("rhizome leaderboard --volunteers")
                .doesNotContain("credit: 0 results");
    }

    private static JsonObject status(String peers) {
        return JsonParser.parseString(STATUS.formatted(peers)).getAsJsonObject();
    }
}
