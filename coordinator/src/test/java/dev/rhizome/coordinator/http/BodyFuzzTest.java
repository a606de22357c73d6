package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Verified;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Request bodies as the routes read them, in both formats and under any Content-Type: the body
 * either opens as a verified record of the route's type or is refused with an HttpError (a 4xx
 * with a message); no other exception can reach the handler and become a 500.
 */
class BodyFuzzTest {
    private record Route(Message prototype, Function<Message, ByteString> signer) {
    }

    private static final List<Route> ROUTES = List.of(
            new Route(Seed.getDefaultInstance(), m -> ((Seed) m).getPublisher()),
            new Route(Direction.getDefaultInstance(), m -> ((Direction) m).getOpenedBy()),
            new Route(Experiment.getDefaultInstance(), m -> ((Experiment) m).getProposer()),
            new Route(Result.getDefaultInstance(), m -> ((Result) m).getRunner()),
            new Route(Paper.getDefaultInstance(), m -> ((Paper) m).getAuthor()),
            new Route(NodeAnnouncement.getDefaultInstance(), m -> ((NodeAnnouncement) m).getNode()),
            new Route(ClaimRequest.getDefaultInstance(), m -> ((ClaimRequest) m).getNode()),
            new Route(ExploreDone.getDefaultInstance(), m -> ((ExploreDone) m).getNode()),
            new Route(LeaseRenewal.getDefaultInstance(), m -> ((LeaseRenewal) m).getNode()));
    private static final String[] CONTENT_TYPES = {"application/json", "application/x-protobuf",
        "application/json; charset=utf-8", "APPLICATION/X-PROTOBUF;q=1", "", "text/plain", ";", null};

    private final SignedRequests signed = new SignedRequests(new CoordinatorMetrics(), SignedRequests.Admission.ANYONE, () -> "test-network");

    @FuzzTest(maxDuration = "2m")
    void anyBodyOpensOrIsRefusedWithAnHttpError(FuzzedDataProvider data) {
        Route route = data.pickValue(ROUTES);
        String contentType = data.pickValue(CONTENT_TYPES);
        ApiRequest request = new ApiRequest("POST", "/v1/fuzz", Map.of(), contentType, data.consumeRemainingAsBytes());
        try {
            Verified<Message> opened = signed.open(request, route.prototype(), route.signer()::apply);
            assertThat(opened.record().getDescriptorForType()).isEqualTo(route.prototype().getDescriptorForType());
        } catch (HttpError refused) {
            assertThat(refused.status().code()).isBetween(400, 499);
            assertThat(refused.getMessage()).isNotBlank();
        }
    }
}
