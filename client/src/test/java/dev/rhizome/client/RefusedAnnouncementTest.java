package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.protocol.identity.IdentityStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A banned node's announcements are refused for good. It used to send one again on every call of
 * the work loop (every result, every retry) and log a WARN line each time, about one every two
 * seconds for as long as it ran; it now asks again at the heartbeat and says so once in a while,
 * with what it means for the volunteer.
 */
class RefusedAnnouncementTest {
    private static final long HEARTBEAT_MS = 10_000;

    @TempDir
    Path dir;

    @Test
    void aRefusedAnnouncementIsAskedAgainAtTheHeartbeatAndToldOnce() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(InventoryAnnouncer.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path nodeDir = dir.resolve("node");
            CliRun.openDirection(c.url(), dir.resolve("op"), nodeDir, "d");
            String key = IdentityStore.loadOrCreate(nodeDir).publicId().toString();
            CliRun ban = CliRun.of("ban", "--key", key, "--reason", "spam", "--json", "--coordinator", c.url(),
                    "--data-dir", dir.resolve("op").toString());
            assertThat(ban.code()).as(ban.err()).isZero();

            MutableClock clock = new MutableClock(System.currentTimeMillis());
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(nodeDir).repository())) {
                InventoryAnnouncer announcer = new InventoryAnnouncer(
                        new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(nodeDir)), repo, "127.0.0.1", 7000,
                        "cpu:test", clock, commit -> { });
                // a minute of the work loop's calls, one every two seconds
                for (int i = 0; i < 30; i++) {
                    announcer.announceIfDue(HEARTBEAT_MS);
                    clock.advance(Duration.ofSeconds(2));
                }
                // what `node status` shows under peers while it lasts
                assertThat(announcer.refusal()).hasValueSatisfying(why -> assertThat(why).contains("banned"));
            }
            assertThat(refusedAnnouncements(c.url())).as("one a heartbeat, not one a call").isBetween(6.0, 7.0);
            List<String> warnings = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains("banned").contains("spam").contains("runners are not pointed at");
        } finally {
            logger.detachAppender(lines);
        }
    }

    /** Announcements the coordinator answered 403, from its Prometheus counters. */
    private static double refusedAnnouncements(String url) throws Exception {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                .timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        return PrometheusText.parse(text).value("rhizome_http_requests_seconds_count",
                Map.of("route", "/v1/announce", "status", "403"));
    }
}
