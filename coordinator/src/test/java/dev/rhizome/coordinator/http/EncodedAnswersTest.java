package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardList;
import org.junit.jupiter.api.Test;

/** A shared answer is encoded once per format and instance; an equal but new instance is encoded afresh. */
class EncodedAnswersTest {
    @Test
    void anInstanceIsEncodedOncePerFormatAsBodyFormatEncodesIt() {
        EncodedAnswers answers = new EncodedAnswers(1 << 20);
        LeaderboardList board = LeaderboardList.newBuilder()
                .addLeaderboards(Leaderboard.newBuilder().setHardwareClass("cpu:x86_64")).build();
        byte[] json = answers.encode(board, false);
        assertThat(json).isEqualTo(BodyFormat.encode(board, false));
        assertThat(answers.encode(board, false)).as("kept").isSameAs(json);
        byte[] protobuf = answers.encode(board, true);
        assertThat(protobuf).isEqualTo(board.toByteArray());
        assertThat(answers.encode(board, true)).isSameAs(protobuf);
        LeaderboardList rebuilt = board.toBuilder().build();
        assertThat(answers.encode(rebuilt, false)).as("a new instance").isNotSameAs(json).isEqualTo(json);
    }
}
