package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplyOrderTest {
    @Test
    void repliesFinishedInAnyOrderLeaveInArrivalOrder() {
        for (long seed = 0; seed < 50; seed++) {
            ReplyOrder<Long> order = new ReplyOrder<>();
            List<Long> arrived = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                arrived.add(order.arrive());
            }
            List<Long> finishing = new ArrayList<>(arrived);
            Collections.shuffle(finishing, new Random(seed));
            List<Long> sent = new ArrayList<>();
            for (long seq : finishing) {
                sent.addAll(order.finish(seq, seq));
            }
            assertThat(sent).as("seed %d", seed).isEqualTo(arrived);
            assertThat(order.outstanding()).isZero();
        }
    }

    @Test
    void aReplyWaitsForEveryEarlierOne() {
        ReplyOrder<String> order = new ReplyOrder<>();
        long first = order.arrive();
        long second = order.arrive();
        assertThat(order.finish(second, "b")).isEmpty();
        assertThat(order.outstanding()).isEqualTo(2);
        assertThat(order.finish(first, "a")).containsExactly("a", "b");
        assertThatThrownBy(() -> order.finish(first, "again")).isInstanceOf(IllegalStateException.class);
    }
}
