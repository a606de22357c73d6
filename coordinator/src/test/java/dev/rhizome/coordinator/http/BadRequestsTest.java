package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal: the right status, an Error that names the problem, and nothing stored. */
class BadRequestsTest {
    @TempDir
    Path dataDir;

    private Harness h;
    private ApiClient api;
    private final Identity runner = Identity.generate();
    private WorkUnit baseline;

    @BeforeEach
    void start() throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection();
        api = h.api;
        baseline = h.claimEvaluation(runner, h.seedCommit);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private Result honest() {
        return Fixtures.result(runner, baseline, 3.2, h.clock.millis());
    }

    private void assertNothingStored() {
        assertThat(stats().getResults()).isZero();
        assertThat(h.unit(baseline.getId()).getState()).isEqualTo(UnitStatus.State.LEASED);
    }

    private CoordinatorStats stats() {
        return api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
    }

    private static void assertRefused(ApiClient.Response response, int status, Error.Code code, String mentions) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.error().getCode()).isEqualTo(code);
        assertThat(response.error().getMessage()).contains(mentions);
    }

    @Test
    void resultSignedByAnotherKeyIsRefused() {
        Identity forger = Identity.generate();
        assertRefused(api.signAndPost("/v1/results", forger, honest()), 401, Error.Code.BAD_SIGNATURE, "signed by");
        assertNothingStored();
        assertThat(stats().getRejectedSignatures()).isEqualTo(1);
    }

    @Test
    void resultAlteredAfterSigningIsRefused() {
        SignedEnvelope signed = h.api.sign(runner, honest());
        SignedEnvelope altered = signed.toBuilder()
                .setPayload(honest().toBuilder().setMetric(1.0).build().toByteString()).build();
        assertRefused(api.post("/v1/results", altered), 401, Error.Code.BAD_SIGNATURE, "does not verify");
        assertNothingStored();
    }

    @Test
    void malformedBodiesAreRefusedNamingTheParseError() {
        assertRefused(api.postRaw("/v1/results", "application/json", "{\"payload\": ".getBytes(StandardCharsets.UTF_8)),
                400, Error.Code.BAD_REQUEST, "JSON");
        assertRefused(api.postRaw("/v1/results", "application/json", "{\"paylod\": \"\"}".getBytes(StandardCharsets.UTF_8)),
                400, Error.Code.BAD_REQUEST, "paylod");
        assertRefused(api.postRaw("/v1/results", "application/x-protobuf", new byte[] {(byte) 0xff, 0x01, 0x02}),
                400, Error.Code.BAD_REQUEST, "protobuf");
        assertRefused(api.postRaw("/v1/results", "text/plain", "hi".getBytes(StandardCharsets.UTF_8)),
                415, Error.Code.UNSUPPORTED, "text/plain");
        assertNothingStored();
    }

    @Test
    void oversizedBodyIsRefusedWith413() {
        byte[] huge = new byte[2 << 20];
        assertRefused(api.postRaw("/v1/results", "application/x-protobuf", huge), 413, Error.Code.TOO_LARGE, "exceeds");
        assertThat(api.get("/healthz").status()).as("the server still answers").isEqualTo(200);
        assertNothingStored();
    }

    @Test
    void resultForAnUnknownWorkUnitIs404() {
        Result result = honest().toBuilder().setWorkUnitId("no-such-unit").build();
        assertRefused(api.signAndPost("/v1/results", runner, result), 404, Error.Code.NOT_FOUND,
                "unknown work unit no-such-unit");
        assertNothingStored();
    }

    @Test
    void resultFromARunnerThatDoesNotHoldTheLeaseIs403() {
        Identity stranger = Identity.generate();
        Result result = Fixtures.result(stranger, baseline, 3.2, h.clock.millis());
        assertRefused(api.signAndPost("/v1/results", stranger, result), 403, Error.Code.FORBIDDEN, "not leased to");
        assertNothingStored();
    }

    @Test
    void resultThatDoesNotMatchItsUnitIsRefused() {
        assertRefused(api.signAndPost("/v1/results", runner, honest().toBuilder().setCommit(Fixtures.commit()).build()),
                400, Error.Code.BAD_REQUEST, "commit");
        assertRefused(api.signAndPost("/v1/results", runner, honest().toBuilder().setMetricName("loss").build()),
                400, Error.Code.BAD_REQUEST, "metric_name");
        assertNothingStored();
    }

    @Test
    void requestsOutsideTheReplayWindowAreRefused() {
        Result stale = honest().toBuilder().setTimeMs(h.clock.millis() - Duration.ofMinutes(6).toMillis()).build();
        assertRefused(api.signAndPost("/v1/results", runner, stale), 400, Error.Code.BAD_REQUEST, "time_ms");
        assertNothingStored();
    }

    @Test
    void unknownRoutesAndWrongMethodsAreRefused() {
        assertRefused(api.get("/v1/nothing"), 404, Error.Code.NOT_FOUND, "/v1/nothing");
        assertRefused(api.get("/v1/claim"), 405, Error.Code.UNSUPPORTED, "POST");
        assertRefused(api.get("/v1/units?state=SLEEPING"), 400, Error.Code.BAD_REQUEST, "SLEEPING");
        assertRefused(api.get("/v1/leaderboard?direction=nope"), 404, Error.Code.NOT_FOUND, "nope");
    }

    @Test
    void badLimitsOnBoardsAndNewestListsAreRefusedByName() {
        assertRefused(api.get("/v1/leaderboard?direction=" + DIRECTION + "&limit=0"), 400, Error.Code.BAD_REQUEST,
                "limit");
        assertRefused(api.get("/v1/leaderboard?direction=" + DIRECTION + "&limit=ten"), 400, Error.Code.BAD_REQUEST,
                "'ten'");
        assertRefused(api.get("/v1/results?direction=" + DIRECTION + "&newest=1001"), 400, Error.Code.BAD_REQUEST,
                "newest must be a whole number from 1 to 1000");
        // newest=N of every direction or of one commit is `results --limit N`; a commit is a full id
        assertRefused(api.get("/v1/results?newest=5&commit=abc123"), 400, Error.Code.BAD_REQUEST,
                "40-hex-digit commit id");
        assertRefused(api.get("/v1/papers?order=sideways"), 400, Error.Code.BAD_REQUEST,
                "order must be newest or oldest");
        assertRefused(api.get("/v1/papers?commit=abc123"), 400, Error.Code.BAD_REQUEST, "40-hex-digit commit id");
        assertRefused(api.get("/v1/papers?search=" + "w".repeat(1001)), 400, Error.Code.BAD_REQUEST,
                "more than 1000");
        // newest=N pages the experiments newest first (with after), N being the page's size
        assertRefused(api.get("/v1/experiments?direction=" + DIRECTION + "&newest=5&limit=2"), 400,
                Error.Code.BAD_REQUEST, "newest is the page's size: give it without limit");
        assertRefused(api.get("/v1/experiments?direction=" + DIRECTION + "&newest=5&after=bm90"), 400,
                Error.Code.BAD_REQUEST, "query parameter after");
        assertRefused(api.get("/v1/results?direction=" + DIRECTION + "&newest=5&limit=2"), 400,
                Error.Code.BAD_REQUEST, "does not page");
    }

    @Test
    void onlyOperatorsPublishSeedsAndASeedNameKeepsItsCommit() {
        Identity outsider = Identity.generate();
        assertRefused(api.signAndPost("/v1/seeds", outsider,
                        Fixtures.seed(outsider, "other", Fixtures.commit(), h.manifest, h.clock.millis())),
                403, Error.Code.FORBIDDEN, "not an operator");
        assertThat(api.signAndPost("/v1/seeds", h.operator,
                Fixtures.seed(h.operator, SEED, h.seedCommit, h.manifest, h.clock.millis())).ack().getMessage())
                .contains("already published");
        assertRefused(api.signAndPost("/v1/seeds", h.operator,
                        Fixtures.seed(h.operator, SEED, Fixtures.commit(), h.manifest, h.clock.millis())),
                409, Error.Code.CONFLICT, "already published at commit");
        assertRefused(api.signAndPost("/v1/seeds", h.operator, Fixtures.seed(h.operator, "broken", Fixtures.commit(),
                        h.manifest.toBuilder().clearCommand().build(), h.clock.millis())),
                400, Error.Code.BAD_REQUEST, "command is missing");
        assertThat(stats().getSeeds()).isEqualTo(1);
    }

    @Test
    void experimentsMustDescendFromTheSeedAndCommitsAreRegisteredOnce() {
        Identity proposer = Identity.generate();
        String commit = Fixtures.commit();
        assertRefused(api.signAndPost("/v1/experiments", proposer,
                        Fixtures.experiment(proposer, SEED, DIRECTION, commit, Fixtures.commit(), h.clock.millis())),
                404, Error.Code.NOT_FOUND, "parent");
        assertRefused(api.signAndPost("/v1/experiments", proposer,
                        Fixtures.experiment(proposer, SEED, "nowhere", commit, h.seedCommit, h.clock.millis())),
                404, Error.Code.NOT_FOUND, "unknown direction nowhere");
        api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        h.clock.advance(Duration.ofSeconds(1));
        assertRefused(api.signAndPost("/v1/experiments", proposer,
                        Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())),
                409, Error.Code.CONFLICT, "already registered");
        assertThat(stats().getExperiments()).isEqualTo(1);
    }

    @Test
    void announcementsWithBadEndpointsAreRefused() {
        Identity node = Identity.generate();
        var announcement = NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("bad host!").setPort(7000)
                .setTimeMs(h.clock.millis()).build();
        assertRefused(api.signAndPost("/v1/announce", node, announcement), 400, Error.Code.BAD_REQUEST, "host");
        assertRefused(api.signAndPost("/v1/announce", node, announcement.toBuilder().setHost("10.0.0.1").setPort(0)
                .build()), 400, Error.Code.BAD_REQUEST, "port");
        assertRefused(api.signAndPost("/v1/announce", node, announcement.toBuilder().setHost("10.0.0.1")
                .setNode(ByteString.copyFrom(new byte[32])).build()), 401, Error.Code.BAD_SIGNATURE, "signed by");
        assertThat(stats().getNodes()).isZero();
    }
}
