package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `brief` read one report ({@code GET /v1/experiment}) per tried experiment and one per the agent's
 * own pending one: twenty requests at every claim. It reads them all in one {@code GET
 * /v1/experiment-reports}, counted here by the coordinator's own request metrics, and shows each
 * experiment's outcome as before. Real coordinator and command.
 */
class BriefReadsReportsAtOnceTest {
    @TempDir
    Path dir;

    @Test
    void theTriedAndOwnExperimentsReportsAreOneRequest() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            CoordinatorClient me = new CoordinatorClient(url, Coordinators.identity(agent));
            Seed seed = OpenDirections.seed(operator, "tiny", "d");
            List<String> commits = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                commits.add(OpenDirections.register(i % 2 == 0 ? me : operator, seed, "d", "experiment " + i));
            }
            long singleBefore = requests(url, "/v1/experiment");

            CliRun brief = CliRun.at(url, agent, "brief", "--direction", "d", "--json");
            assertThat(brief.code()).as(brief.out() + brief.err()).isZero();
            JsonObject o = brief.json();
            List<String> tried = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("tried")) {
                JsonObject entry = e.getAsJsonObject();
                tried.add(entry.get("commit").getAsString());
                assertThat(entry.get("unread").isJsonNull()).as("each report read: " + entry).isTrue();
                assertThat(entry.getAsJsonObject("report").get("decided").getAsBoolean()).isFalse();
            }
            List<String> newestFirst = new ArrayList<>(commits);
            java.util.Collections.reverse(newestFirst);
            assertThat(tried).as("the newest ten, newest first").containsExactlyElementsOf(newestFirst.subList(0, 10));
            assertThat(o.getAsJsonArray("pending")).as("my six, all pending").hasSize(6);

            assertThat(requests(url, "/v1/experiment-reports")).as("one batched read").isEqualTo(1);
            assertThat(requests(url, "/v1/experiment")).as("no report read alone").isEqualTo(singleBefore);
        }
    }

    /** GET requests to {@code route} the coordinator answered 200, from its {@code /metrics}. */
    private static long requests(String url, String route) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("rhizome_http_requests_seconds_count\\{([^}]*)\\} ([0-9.eE+]+)").matcher(metrics);
        long total = 0;
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("route=\"" + route + "\"") && labels.contains("method=\"GET\"")
                    && labels.contains("status=\"200\"")) {
                total += (long) Double.parseDouble(m.group(2));
            }
        }
        return total;
    }
}
