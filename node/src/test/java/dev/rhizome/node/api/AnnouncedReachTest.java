package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.PeerAddress.Reach;
import org.junit.jupiter.api.Test;

/** What a volunteer behind a NAT is told: that peers will not reach it, why, and what would change it. */
class AnnouncedReachTest {
    private static final String URL = "http://203.0.113.9:7070";

    @Test
    void aLanAddressAnnouncedToACoordinatorOnTheInternetIsNotReachableAndSaysWhatToPass() {
        assertThat(AnnouncedReach.narrowerThanCoordinator("192.168.1.5", Reach.GLOBAL, URL)).hasValueSatisfying(why ->
                assertThat(why).contains("192.168.1.5 (on a private network)").contains("on the internet").contains(URL)
                        .contains("peers will not fetch from this node").contains("still fetches and runs work")
                        .contains("--host").contains("--peer-port"));
        assertThat(AnnouncedReach.narrowerThanCoordinator("10.0.0.7", Reach.GLOBAL, URL)).isPresent();
        assertThat(AnnouncedReach.narrowerThanCoordinator("127.0.0.1", Reach.PRIVATE, URL)).hasValueSatisfying(why ->
                assertThat(why).contains("on this machine only").contains("on a private network"));
    }

    @Test
    void anAddressAsWideAsTheCoordinatorsIsNotFlagged() {
        assertThat(AnnouncedReach.narrowerThanCoordinator("127.0.0.1", Reach.LOOPBACK, URL)).isEmpty();
        assertThat(AnnouncedReach.narrowerThanCoordinator("192.168.1.5", Reach.PRIVATE, URL)).isEmpty();
        assertThat(AnnouncedReach.narrowerThanCoordinator("8.8.8.8", Reach.PRIVATE, URL)).isEmpty();
        assertThat(AnnouncedReach.narrowerThanCoordinator("volunteer.example.org", Reach.GLOBAL, URL)).isEmpty();
    }
}
