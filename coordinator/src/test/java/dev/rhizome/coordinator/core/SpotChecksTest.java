package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpotChecksTest {
    private static final ByteString RUNNER = key("runner");
    private static final ByteString PROPOSER = key("proposer");

    private static ByteString key(String name) {
        return ByteString.copyFromUtf8(name);
    }

    /** A node seen from {@code network} (as {@link ReplicaNetworks#of} records it; "" for none). */
    private static SpotChecks.Candidate node(String name, String network) {
        return new SpotChecks.Candidate(key(name), network);
    }

    @Test
    void neitherTheRunnerNorTheProposerNorAnyNodeSeenFromTheirNetworksIsChosen() {
        List<SpotChecks.Candidate> seen = List.of(node("runner", "203.0.113.0/24"), node("proposer", "198.51.100.0/24"),
                node("sybil", "203.0.113.0/24"), node("friend", "198.51.100.0/24"),
                node("sameLan", "10.0.0.1"), node("honest", "192.0.2.0/24"));
        assertThat(SpotChecks.choose(RUNNER, PROPOSER, seen, () -> 0.0))
                .containsExactlyInAnyOrder(key("sameLan"), key("honest"));
    }

    @Test
    void oneAddressSeenFromTwoKeysIsOneNetworkAndNoNetworkKnownMatchesNoOther() {
        // a private address is a network of its own (ReplicaNetworks.of): two keys seen at it share it
        List<SpotChecks.Candidate> seen = List.of(node("runner", "10.0.0.7"), node("proposer", ""),
                node("sameMachine", "10.0.0.7"), node("lanNeighbour", "10.0.0.8"), node("loopback", ""));
        assertThat(SpotChecks.choose(RUNNER, PROPOSER, seen, () -> 0.0))
                .containsExactlyInAnyOrder(key("lanNeighbour"), key("loopback"));
    }

    @Test
    void atMostThreeAreChosenAtRandomAndNoneWhenNobodyIsLeft() {
        List<SpotChecks.Candidate> seen = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            seen.add(node("n" + i, "10.0.1." + i));
        }
        Random random = new Random(7);
        Set<ByteString> everChosen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            List<ByteString> chosen = SpotChecks.choose(RUNNER, PROPOSER, seen, random::nextDouble);
            assertThat(chosen).hasSize(SpotChecks.RESERVED_KEYS).doesNotHaveDuplicates();
            everChosen.addAll(chosen);
        }
        assertThat(everChosen).as("every eligible node is drawn sometimes").hasSize(10);
        assertThat(SpotChecks.choose(RUNNER, PROPOSER, seen, () -> 0.999_999)).hasSize(3);
        assertThat(SpotChecks.choose(RUNNER, PROPOSER, List.of(node("runner", "")), () -> 0.0)).isEmpty();
    }

    @Test
    void aReservationHoldsForItsTimeThenFallsBackToAnyone() {
        assertThat(SpotChecks.reservedUntil(1_000)).isEqualTo(1_000 + SpotChecks.HOLD.toMillis());
        assertThat(SpotChecks.reservedUntil(Long.MAX_VALUE - 1)).isEqualTo(Long.MAX_VALUE);
    }
}
