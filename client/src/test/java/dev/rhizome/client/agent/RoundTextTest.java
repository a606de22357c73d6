package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** `rhizome agent` without `--json` prints each round as a sentence, never as its JSON. */
class RoundTextTest {
    @Test
    void aSubmittedRoundNamesItsCommitItsParentAndWhatTheNetworkMadeOfIt() {
        String round = """
                {"round":2,"unit":"u1","submitted":true,"commit":"0123456789abcdef","parent":"fedcba9876543210",
                 "command_timed_out":false,
                 "outcome":{"decided":true,"valid":true,"metric_name":"val_bpb","metric":1.98765,
                            "delta_parent":-0.0123,"adopted":true,"pending_units":0}}""";
        assertThat(RoundText.of(JsonParser.parseString(round).getAsJsonObject()))
                .isEqualTo("round 2: submitted 0123456789 on fedcba9876; val_bpb 1.9877 (-0.0123 against its parent), adopted");
    }

    @Test
    void aRoundNotYetDecidedSaysHowManyUnitsArePending() {
        String round = """
                {"round":1,"submitted":true,"commit":"0123456789abcdef","parent":"fedcba9876543210",
                 "command_timed_out":true,"outcome":{"decided":false,"valid":false,"metric":null,"pending_units":3}}""";
        assertThat(RoundText.of(JsonParser.parseString(round).getAsJsonObject()))
                .isEqualTo("round 1: submitted 0123456789 on fedcba9876 (the command timed out); not decided yet, 3 unit(s) pending");
    }

    @Test
    void aFailedRoundGivesTheErrorTheMessageAndTheHint() {
        String round = """
                {"round":3,"submitted":false,"error":"no_work","message":"the direction is closed","hint":"open another"}""";
        assertThat(RoundText.of(JsonParser.parseString(round).getAsJsonObject()))
                .isEqualTo("round 3: no work: the direction is closed (open another)");
    }

    @Test
    void aRoundThatChangedNothingSaysSo() {
        String round = """
                {"round":4,"command_exit":0,"submitted":false,"reason":"the command changed nothing"}""";
        assertThat(RoundText.of(JsonParser.parseString(round).getAsJsonObject()))
                .isEqualTo("round 4: nothing submitted: the command changed nothing")
                .doesNotContain("{");
    }
}
