package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The claim journal's write that fails says why: an orderly stop interrupting it is no warning of a
 * kill, and any other failure names its cause (an interrupted channel's exception has no message, and
 * the warning read "(null)").
 */
class ClaimJournalStopTest {
    @TempDir
    Path dir;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger log = (Logger) LoggerFactory.getLogger(ClaimJournal.class);

    @BeforeEach
    void capture() {
        logged.start();
        log.addAppender(logged);
    }

    @AfterEach
    void release() {
        log.detachAppender(logged);
    }

    private static SignedEnvelope claim() {
        ClaimRequest request = ClaimRequest.newBuilder().setNode(ByteString.copyFromUtf8("me")).setHardwareClass("any")
                .addKinds(WorkUnit.Kind.EXPLORE).setTimeMs(System.currentTimeMillis()).build();
        return SignedEnvelope.newBuilder().setPayload(request.toByteString()).build();
    }

    @Test
    void aWriteAStopInterruptsWarnsOfNoKill() throws Exception {
        ClaimJournal journal = new ClaimJournal(dir.resolve("claims"));
        Thread writer = new Thread(() -> {
            Thread.currentThread().interrupt(); // as the node's stop interrupts its claiming thread
            journal.write(claim(), System.currentTimeMillis());
        });
        writer.start();
        writer.join();
        List<ILoggingEvent> events = logged.list;
        assertThat(events).noneMatch(e -> e.getLevel() == Level.WARN);
        assertThat(events).anyMatch(e -> e.getFormattedMessage().contains("the node is stopping")
                && e.getFormattedMessage().contains("ClosedByInterruptException"));
    }

    @Test
    void anyOtherFailureNamesItsCause() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("claims"), "a file where the journal's directory goes");
        new ClaimJournal(notADirectory).write(claim(), System.currentTimeMillis());
        assertThat(logged.list).anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().contains("cannot keep the claim in flight")
                && e.getFormattedMessage().contains("FileAlreadyExistsException"));
    }
}
