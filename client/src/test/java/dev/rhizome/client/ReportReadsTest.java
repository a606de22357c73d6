package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.agent.ReportReads;
import dev.rhizome.client.agent.ReportReads.ReportRead;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listing's reports read a few at a time (`log`, similar work) say, entry for entry and in the
 * order asked, what one read after another says: a report where there is one, why not where not.
 */
class ReportReadsTest {
    @TempDir
    Path dir;

    @Test
    void readsAFewAtATimeAnswerAsOneAfterAnotherInTheOrderAskedEachCommitOnce() throws Exception {
        try (SeededCoordinator network = SeededCoordinator.start(dir, dir.resolve("volunteer"), TestNetwork.slowSeed(3, 300))) {
            CoordinatorClient client = new CoordinatorClient(network.url(), Identity.generate());
            String base = network.seed().getCommit();
            List<String> asked = new ArrayList<>();
            asked.add(base);
            for (int i = 0; i < 3 * 4; i++) {
                asked.add(String.format("%040x", i + 1)); // commits the coordinator never heard of
            }
            asked.add(base);

            Map<String, ReportRead> reads = ReportReads.read(client, asked);

            assertThat(reads.keySet()).containsExactlyElementsOf(asked.subList(0, asked.size() - 1));
            for (String commit : reads.keySet()) {
                ReportRead read = reads.get(commit);
                try {
                    assertThat(read.report()).as(commit).isEqualTo(client.experimentReport(commit));
                    assertThat(read.unread()).isNull();
                } catch (CoordinatorException refused) {
                    assertThat(read.report()).as(commit).isNull();
                    assertThat(read.unread()).as(commit).startsWith("cannot read its outcome: ")
                            .contains(refused.getMessage().substring(0, Math.min(40, refused.getMessage().length())));
                }
            }
            assertThat(reads.values()).anyMatch(r -> r.unread() != null);
        }
    }
}
