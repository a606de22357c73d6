package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.RawHttp;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** A POST with no body, on every POST route and in both formats, is told its body is empty. */
class EmptyBodiesProbeTest extends SeededCoordinatorTest {
    @Test
    void anEmptyBodyIs400SayingSoNotABadSignature() throws Exception {
        TreeSet<String> paths = new TreeSet<>(RouteTable.paths("POST"));
        assertThat(paths).contains("/v1/claim", "/v1/results");
        for (String path : paths) {
            for (String type : new String[] {"application/x-protobuf", "application/json", null}) {
                String request = "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        + (type == null ? "" : "Content-Type: " + type + "\r\n") + "Content-Length: 0\r\n\r\n";
                RawHttp.Response r = exchange(request);
                // as protobuf it was "401 unsupported envelope version 0" (and counted as a bad
                // signature); as JSON "expected a JSON object, got null"
                assertThat(r.status()).as(path + " " + type + ": " + r.body()).isEqualTo(400);
                assertThat(r.body()).as(path + " " + type).contains("the body is empty");
            }
        }
        assertThat(h.api.get("/metrics").text()).doesNotContainPattern("(?m)^rhizome_signatures_rejected_total [1-9]");
    }
}
