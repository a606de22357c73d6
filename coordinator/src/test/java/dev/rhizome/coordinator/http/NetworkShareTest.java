package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The daily totals are shared by networks (an IPv4 /24, an IPv6 /48), not taken whole by one: many
 * addresses of one block each had their own share of the day, up to the total, and used it up for
 * everyone. Requests come from several loopback addresses (all of 127/8 is loopback on Linux).
 */
class NetworkShareTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().empty()
            .limits(CoordinatorLimits.defaults().withDailyWrites(WriteQuota.Limits.defaults()
                    .with(WriteQuota.Kind.NEW_NODES, new WriteQuota.Limit(0, 5, 100, 2))))
            .into(started -> h = started);

    private RawHttp.Response announceFrom(String localAddress) throws Exception {
        Identity node = Identity.generate();
        byte[] body = h.api.sign(node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("127.0.0.1").setPort(7000).setHardwareClass("cpu").setTimeMs(h.clock.millis()).build())
                .toByteArray();
        try (RawHttp raw = new RawHttp(h.coordinator.url(), localAddress)) {
            return raw.send(RawHttp.bytes("POST", "/v1/announce", "application/x-protobuf", body)).read();
        }
    }

    @Test
    void oneNetworkTakesItsShareOfTheTotalAndOthersKeepTheirs() throws Exception {
        assertThat(announceFrom("127.0.0.2").status()).isEqualTo(200);
        assertThat(announceFrom("127.0.0.3").status()).isEqualTo(200);
        // a third address of the same /24: each address is far below its own bound (5)
        RawHttp.Response refused = announceFrom("127.0.0.4");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.body()).contains("daily new_nodes limit reached")
                .contains("this network (an IPv4 /24 or IPv6 /48 counts as one)").contains("at most 2 a day")
                .contains("daily_write_limits.new_nodes");
        // another network is served
        assertThat(announceFrom("127.0.1.2").status()).isEqualTo(200);
        assertThat(h.api.get("/v1/stats").text()).contains("\"nodes\": \"3\"");
    }
}
