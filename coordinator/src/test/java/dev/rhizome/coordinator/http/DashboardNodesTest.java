package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What operators look for on the dashboard: which live nodes run work now, and whom they banned. */
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
            Map<String, String> on = new HashMap<>();
            for (JsonElement e : dashboard.getAsJsonObject("nodes").getAsJsonArray("peers")) {
                JsonObject n = e.getAsJsonObject();
                leases.put(n.get("node").getAsString(), n.get("leases_held").getAsInt());
                on.put(n.get("node").getAsString(), n.getAsJsonArray("leases_on").toString());
            }
            assertThat(leases).containsEntry(base64(busy), 1).containsEntry(base64(idle), 0);
            // and what it runs: the direction and the kind of unit, counted
            assertThat(on).containsEntry(base64(busy), "[{\"direction\":\"" + Harness.DIRECTION
                    + "\",\"kind\":\"EVALUATE\",\"units\":1}]").containsEntry(base64(idle), "[]");
        }
    }

    /** An operator's ban shows on the dashboard with its reason, not only in the refusals the key gets. */
    @Test
    void aBannedKeyIsListedWithItsReason() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            JsonObject before = JsonParser.parseString(h.api.get("/v1/dashboard").text()).getAsJsonObject();
            assertThat(before.getAsJsonArray("bans")).isEmpty();
            Identity liar = Identity.generate();
            h.api.signAndPost("/v1/bans", h.operator, KeyBan.newBuilder().setKey(liar.publicId().toByteString())
                    .setReason("forged metrics").setBannedBy(h.operator.publicId().toByteString())
                    .setBannedMs(h.clock.millis()).build()).ack();
            // the document is shared while fresh (a second at least): the ban shows once it is rebuilt
            JsonObject dashboard = await().atMost(Duration.ofSeconds(60)).until(
                    () -> JsonParser.parseString(h.api.get("/v1/dashboard").text()).getAsJsonObject(),
                    d -> d.get("bans_total").getAsInt() == 1);
            JsonObject ban = dashboard.getAsJsonArray("bans").get(0).getAsJsonObject();
            assertThat(ban.get("key_id").getAsString()).isEqualTo(liar.publicId().toString());
            assertThat(ban.get("reason").getAsString()).isEqualTo("forged metrics");
        }
    }

    private static String base64(Identity node) {
        return Base64.getEncoder().encodeToString(node.publicId().toByteString().toByteArray());
    }
}
