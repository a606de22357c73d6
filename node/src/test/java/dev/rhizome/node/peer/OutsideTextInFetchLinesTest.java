package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A holder's host is someone else's text (a peer's NodeInfo, the coordinator's list of holders): a
 * line feed in it forged a log line, and a bidi override showed the rest of the line reversed. A
 * fetch from such a holder fails with the host escaped, in the failure and in the log, as any
 * other text of a peer's is ({@code LogSafe}).
 */
class OutsideTextInFetchLinesTest {
    @TempDir
    Path tmp;

    @Test
    void aHolderWhoseHostCarriesControlAndBidiCharactersIsNamedEscaped() throws Exception {
        String host = "holder\u202Eexe.txt\n12:00:00.000 INFO forged line\u001b[2J";
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger nodeLogs = (Logger) LoggerFactory.getLogger("dev.rhizome.node");
        logged.start();
        nodeLogs.addAppender(logged);
        try (TestNode bob = new TestNode(tmp.resolve("bob"))) {
            PeerEndpoint holder = PeerEndpoint.newBuilder().setHost(host).setPort(9).build();

            FetchException failed = catchThrowableOfType(
                    () -> bob.fetcher.fetch("c".repeat(40), List.of(holder), TransferProgress.NONE), FetchException.class);

            assertThat(failed).isNotNull();
            assertThat(failed.getMessage()).contains("holder\\u202eexe.txt\\n12:00:00.000 INFO forged line\\u001b[2J");
            assertEscaped(failed.getMessage());
            assertThat(logged.list).allSatisfy(e -> assertEscaped(e.getFormattedMessage()));
        } finally {
            nodeLogs.detachAppender(logged);
        }
    }

    private static void assertEscaped(String line) {
        assertThat(line).as("no raw line feed, escape or override").doesNotContain("\n", "\u001b", "\u202E");
    }
}
