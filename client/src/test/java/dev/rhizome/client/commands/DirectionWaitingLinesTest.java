package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.Main;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionStatus;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * `direction list` prints, under a direction's row, why its base is not measured and, once its
 * requeues are spent, the operator's command that moves it on: both were in --json only.
 */
class DirectionWaitingLinesTest {
    private static DirectionStatus status(String reason, boolean spent) {
        return DirectionStatus.newBuilder().setDirection(Direction.newBuilder().setName("lr"))
                .setNotMeasuredReason(reason).setRequeuesSpent(spent).build();
    }

    @Test
    void aWaitingBaseSaysWhyAndASpentOneNamesTheOperatorsCommand() throws Exception {
        assertThat(DirectionCommand.waiting(status("", false))).as("a direction that waits on nothing").isEmpty();
        List<String> queued = DirectionCommand.waiting(status("its base's trials were decided only in a hardware "
                + "class not established; queued again for an established class (1 of 3 times at most a trial)", false));
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0)).startsWith("  not measured: its base's trials").contains("(1 of 3");
        List<String> spent = DirectionCommand.waiting(status("its base's trials ...; queued again 3 times at seed(s) "
                + "[1], ... until an operator acts", true));
        assertThat(spent).hasSize(2);
        assertThat(spent.get(1)).contains("requeues spent").contains("rhizome direction requeue --name lr");
        // the command it names parses as written
        String command = spent.get(1).substring(spent.get(1).indexOf("rhizome ") + "rhizome ".length());
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs(command.split(" "));
        assertThat(parsed.subcommand().subcommand().commandSpec().name()).isEqualTo("requeue");
    }

    @Test
    void eachOperatorsOrderIsALineWithWhoWhenWhichTrialsAndWhy() {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) 0xab);
        DirectionStatus.Builder d = status("", false).toBuilder().setOperatorRequeueCount(12);
        for (int i = 0; i < 10; i++) {
            d.addOperatorRequeues(dev.rhizome.proto.v1.OperatorRequeue.newBuilder().setCommit("c".repeat(40))
                    .setRequeuedBy(com.google.protobuf.ByteString.copyFrom(key)).setRequeuedMs(1_700_000_000_000L - i)
                    .addRandomSeeds(-1L).setReason(i == 0 ? "banned the pair" : ""));
        }
        List<String> lines = DirectionCommand.waiting(d.build());
        assertThat(lines).hasSize(11);
        assertThat(lines.get(0)).isEqualTo("  queued again by operator abababababab at 2023-11-14T22:13:20Z: trials of "
                + dev.rhizome.protocol.CommitId.abbreviate("c".repeat(40)) + " at seed(s) [18446744073709551615] "
                + "(banned the pair)");
        assertThat(lines.get(1)).as("no reason, no parentheses").endsWith("[18446744073709551615]");
        assertThat(lines.get(10)).isEqualTo("  and 2 older operator order(s) to queue again (the audit export holds "
                + "them all)");
    }
}
