package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AnnouncedHostTest {
    @Test
    void aNodeWithoutHostAnnouncesItsAddressOnTheRouteToTheCoordinatorWhichIsLoopbackForOneOnThisMachine() {
        assertThat(AnnouncedHost.towards(URI.create("http://127.0.0.1:7070"))).isEqualTo("127.0.0.1");
        assertThat(AnnouncedHost.towards(URI.create("http://localhost:7070"))).isEqualTo("127.0.0.1");
    }

    @Test
    void anAnnouncedHostNarrowerThanTheCoordinatorIsToldWithWhatItMeansAndWhatToDo() {
        URI internet = URI.create("http://8.8.4.4:7070");
        assertThat(AnnouncedHost.narrowerThanCoordinator("127.0.0.1", internet)).hasValueSatisfying(warning -> assertThat(warning)
                .contains("127.0.0.1 (on this machine only)").contains("on the internet").contains("8.8.4.4")
                .contains("peers will not fetch from this node").contains("--host"));
        assertThat(AnnouncedHost.narrowerThanCoordinator("192.168.1.5", internet)).hasValueSatisfying(warning -> assertThat(warning)
                .contains("on a private network"));
        assertThat(AnnouncedHost.narrowerThanCoordinator("127.0.0.1", URI.create("http://192.168.1.2:7070"))).isPresent();
    }

    @Test
    void anAnnouncedHostAsWideAsTheCoordinatorIsNotWarnedAbout() {
        assertThat(AnnouncedHost.narrowerThanCoordinator("127.0.0.1", URI.create("http://127.0.0.1:7070"))).isEmpty();
        assertThat(AnnouncedHost.narrowerThanCoordinator("192.168.1.5", URI.create("http://192.168.1.2:7070"))).isEmpty();
        assertThat(AnnouncedHost.narrowerThanCoordinator("8.8.8.8", URI.create("http://8.8.4.4:7070"))).isEmpty();
        assertThat(AnnouncedHost.narrowerThanCoordinator("volunteer.example.org", URI.create("http://8.8.4.4:7070"))).isEmpty();
    }
}
