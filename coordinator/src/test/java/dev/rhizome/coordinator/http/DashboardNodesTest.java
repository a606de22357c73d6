package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's live nodes say which are running work now: a busy node and an idle one no longer look alike. */
class DashboardNodesTest {
    @TempDir
    Path dataDir;

    @Test
    void eachLiveNodeShowsTheLeasesItHoldsNow() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            Identity busy = Identity.generate();
            Identity idle = Identity.generate();
            for (Identity node : new Identity[] {busy, idle}) {
                h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                        .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(7000)
                        .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
            }
            h.claimEvaluation(busy, h.seedCommit);

            JsonObject dashboard = JsonParser.parseString(h.api.get("/v1/dashboard").text()).getAsJsonObject();
            Map<String, Integer> leases = new HashMap<>();
            for (JsonElement e : dashboard.getAsJsonObject("nodes").getAsJsonArray("peers")) {
                JsonObject n = e.getAsJsonObject();
                leases.put(n.get("node").getAsString(), n.get("leases_held").getAsInt());
            }
            assertThat(leases).containsEntry(base64(busy), 1).containsEntry(base64(idle), 0);
        }
    }

    private static String base64(Identity node) {
        return Base64.getEncoder().encodeToString(node.publicId().toByteString().toByteArray());
    }
}
