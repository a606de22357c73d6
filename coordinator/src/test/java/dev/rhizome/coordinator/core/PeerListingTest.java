package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerListingTest {
    private int next;

    private PeerListing.Offered node(String network, boolean standing, long lastSeenMs) {
        String host = "n" + next++ + ".example";
        return new PeerListing.Offered(PeerEndpoint.newBuilder().setNode(ByteString.copyFromUtf8(host)).setHost(host)
                .build(), network, standing, lastSeenMs);
    }

    private static List<String> hosts(List<PeerEndpoint> listed) {
        return listed.stream().map(PeerEndpoint::getHost).toList();
    }

    @Test
    void oneNetworkTakesItsShareStandingFirstThenNewest() {
        List<PeerListing.Offered> offered = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            offered.add(node("198.51.100.0/24", false, 1_000 + i));
        }
        PeerListing.Offered established = node("198.51.100.0/24", true, 1);
        offered.add(established);
        List<PeerEndpoint> listed = PeerListing.choose(offered, 64);
        assertThat(listed).hasSize(PeerListing.perNetwork(64)).first().isEqualTo(established.endpoint());
        assertThat(hosts(listed.subList(1, 4))).containsExactly("n9.example", "n8.example", "n7.example");
    }

    @Test
    void nodesWithNoNetworkKnownAreEachANetworkOfTheirOwn() {
        List<PeerListing.Offered> offered = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            offered.add(node("", false, i));
        }
        List<PeerEndpoint> listed = PeerListing.choose(offered, 64);
        assertThat(listed).hasSize(64);
        assertThat(listed.get(0).getHost()).isEqualTo("n69.example");
        assertThat(listed.get(63).getHost()).isEqualTo("n6.example");
    }

    @Test
    void aQuarterOfThePlacesStayOpenToFreshKeysHoweverManyHaveStanding() {
        List<PeerListing.Offered> offered = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            offered.add(node("net" + i, true, 5_000 + i));
        }
        for (int i = 0; i < 30; i++) {
            offered.add(node("fresh" + i, false, i));
        }
        List<PeerEndpoint> listed = PeerListing.choose(offered, 64);
        assertThat(listed).hasSize(64);
        assertThat(hosts(listed).stream().filter(h -> Integer.parseInt(h.substring(1, h.indexOf('.'))) >= 100))
                .hasSize(PeerListing.freshPlaces(64));
        PeerListing.Offered alone = node("new", false, 0);
        List<PeerListing.Offered> fewFresh = new ArrayList<>(offered.subList(0, 100));
        fewFresh.add(alone);
        List<PeerEndpoint> withOne = PeerListing.choose(fewFresh, 64);
        assertThat(withOne).hasSize(64).last().isEqualTo(alone.endpoint());
    }

    @Test
    void everyNetworksFirstNodeIsListedBeforeAnyNetworksSecond() {
        List<PeerListing.Offered> offered = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            offered.add(node("honest" + i, true, i));  // one volunteer each, seen a while ago
        }
        for (int i = 0; i < 16 * 8; i++) {
            offered.add(node("sybil" + i % 16, true, 1_000 + i));  // 16 networks announcing all the time
        }
        List<PeerEndpoint> listed = PeerListing.choose(offered, 64);
        assertThat(listed).hasSize(64);
        assertThat(hosts(listed)).as("each honest network's one node")
                .contains("n0.example", "n1.example", "n2.example", "n3.example", "n4.example", "n5.example",
                        "n6.example", "n7.example", "n8.example", "n9.example");
        assertThat(hosts(listed.subList(0, 26))).as("the first round: one place per network")
                .contains("n0.example", "n9.example");
    }
}
