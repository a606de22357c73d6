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

    /** A node whose clock is off by more than the skew is refused links with no reason sent: the status says so, and what to do. */
    @Test
    void aWrongClockIsShownWithWhatToDoAndARightOneIsNot() {
        String wrong = NodeStatusText.render(status("""
                {"announced":"8.8.8.8:7000","reachable":true,"reason":null,"clock":{"peers_ahead_ms":7200000,"peers":3,
                 "problem":"this node's clock is 7200 s behind its peers' (enable NTP)"}}"""));
        assertThat(wrong).contains("CLOCK WRONG: this node's clock is 7200 s behind its peers' (enable NTP)");
        assertThat(NodeStatusText.render(status("""
                {"announced":"8.8.8.8:7000","reachable":true,"reason":null,"clock":{"peers_ahead_ms":40,"peers":3,"problem":null}}""")))
                .doesNotContain("CLOCK");
    }

    /** Round 38: each slot's line names the CPUs its jobs are held to; a slot whose jobs may use every CPU, or an older node's, names none. */
    @Test
    void eachSlotNamesTheCpusItsJobsAreHeldTo() {
        JsonObject o = status("null");
        o.add("slots", JsonParser.parseString("""
                [{"name":"cpu0","hardware_class":"cpu:x","gpu_index":null,"state":"idle","job":null,"next":null,
                  "jobs_run":2,"prefetched_runs":0,"cpus":"0-3"},
                 {"name":"cpu1","hardware_class":"cpu:x","gpu_index":null,"state":"idle","job":null,"next":null,
                  "jobs_run":1,"prefetched_runs":0,"cpus":null},
                 {"name":"cpu2","hardware_class":"cpu:x","gpu_index":null,"state":"idle","job":null,"next":null,
                  "jobs_run":0,"prefetched_runs":0}]"""));
        String text = NodeStatusText.render(o);
        assertThat(text).contains("[2 jobs, CPUs 0-3]", "[1 jobs]", "[0 jobs]");
    }

    /** Round 39: a download whose unit was given back shows as a fetch for no unit, naming the unit given back. */
    @Test
    void aDownloadWhoseUnitWasGivenBackShowsAsAFetchForNoUnit() {
        JsonObject o = status("null");
        o.add("slots", JsonParser.parseString("""
                [{"name":"cpu0","hardware_class":"cpu:x","gpu_index":null,"state":"fetching","job":null,"next":null,
                  "jobs_run":0,"prefetched_runs":0,"lease":null,"cpus":null,
                  "fetch":{"commit":"%s","started_ms":1,"unit":null,"given_back_unit":"u-7"}},
                 {"name":"cpu1","hardware_class":"cpu:x","gpu_index":null,"state":"fetching","job":null,"next":null,
                  "jobs_run":0,"prefetched_runs":0,"lease":null,"cpus":null,
                  "fetch":{"commit":"%s","started_ms":1,"unit":"u-8","given_back_unit":null}}]"""
                .formatted("ab".repeat(20), "cd".repeat(20))));
        String text = NodeStatusText.render(o);
        assertThat(text).contains("for no unit (unit u-7 given back").doesNotContain("u-8 given back");
    }

    /** A node just restarted counts from zero: the status says these are this run's counts, and where the lasting credit is. */
    @Test
    void theCountsAreSaidToBeThisRunsAndTheLastingCreditIsNamed() {
        String text = NodeStatusText.render(status("null"));
        assertThat(text).contains("since this node started: 0 results reported").contains("rhizome leaderboard --volunteers")
                .doesNotContain("credit: 0 results");
    }

    /** Results kept in the outbox for receipts the node cannot write: the status says how many, why and what to do. */
    @Test
    void resultsWaitingForReceiptsTheNodeCannotWriteAreNamedWithTheirReason() {
        JsonObject o = status("null");
        JsonObject unkept = new JsonObject();
        unkept.addProperty("results", 3);
        unkept.addProperty("since_ms", System.currentTimeMillis() - 5 * 60_000);
        unkept.addProperty("problem", "java.nio.file.FileSystemException: /d/receipts/x.tmp: No space left on device: the disk is full");
        o.getAsJsonObject("credit").add("receipts_unkept", unkept);
        assertThat(NodeStatusText.render(o)).contains("RECEIPTS NOT KEPT for 5 minutes: 3 results the coordinator stored")
                .contains("No space left on device: the disk is full");
        assertThat(NodeStatusText.render(status("null"))).as("none, or an older node").doesNotContain("RECEIPTS");
    }

    private static JsonObject status(String peers) {
        return JsonParser.parseString(STATUS.formatted(peers)).getAsJsonObject();
    }
}
