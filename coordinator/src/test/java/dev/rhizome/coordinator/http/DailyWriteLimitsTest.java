package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What keys, addresses and everyone together may add to the database in a day
 * ({@link WriteQuota}), on a real coordinator on loopback over SQLite: one key registered any
 * number of experiments and papers, and fresh keys (free) any number of nodes. Small limits here
 * stand for the defaults, which honest use never meets.
 */
class DailyWriteLimitsTest extends OnEachStore {
    @BeforeEach
    void start() throws Exception {
        WriteQuota.Limits limits = WriteQuota.Limits.defaults()
                .with(WriteQuota.Kind.EXPERIMENTS, new WriteQuota.Limit(3, 5, 0))
                .with(WriteQuota.Kind.PAPERS, new WriteQuota.Limit(0, 0, 2))
                .with(WriteQuota.Kind.NEW_NODES, new WriteQuota.Limit(0, 2, 0))
                .with(WriteQuota.Kind.EXPLORATIONS, new WriteQuota.Limit(1, 0, 0));
        open(Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults().withDailyWrites(limits))
                .withSeedAndDirection();
    }

    private SignedEnvelope experiment(Identity proposer) {
        return h.api.sign(proposer, Fixtures.experiment(proposer, SEED, DIRECTION, Fixtures.commit(), h.seedCommit,
                h.clock.millis()));
    }

    private static void assertLimit(ApiClient.Response r, String... named) {
        assertThat(r.status()).as(r.text()).isEqualTo(429);
        assertThat(r.error().getCode()).isEqualTo(Error.Code.LIMIT_REACHED);
        assertThat(r.error().getMessage()).contains(named).contains("at most").contains("resets at");
    }

    private long experiments() {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build().getExperiments();
    }

    @Test
    void experimentsAreBoundedPerKeyThenPerAddressAndTheDayResetsThem() {
        Identity first = Identity.generate();
        SignedEnvelope kept = experiment(first);
        assertThat(h.api.post("/v1/experiments", kept).status()).isEqualTo(200);
        for (int i = 0; i < 2; i++) {
            assertThat(h.api.post("/v1/experiments", experiment(first)).status()).isEqualTo(200);
        }
        long before = experiments();
        assertLimit(h.api.post("/v1/experiments", experiment(first)), "daily experiments limit reached", "this key",
                "at most 3 a day", "daily_write_limits.experiments");
        assertThat(experiments()).as("nothing stored").isEqualTo(before);
        // a retry of a record already stored is acknowledged, not refused, and counts nothing
        assertThat(h.api.post("/v1/experiments", kept).ack().getMessage()).contains("already registered");

        // a fresh key (keys are free) gets the rest of its address's share, then the address is full
        Identity second = Identity.generate();
        assertThat(h.api.post("/v1/experiments", experiment(second)).status()).isEqualTo(200);
        assertThat(h.api.post("/v1/experiments", experiment(second)).status()).isEqualTo(200);
        assertLimit(h.api.post("/v1/experiments", experiment(Identity.generate())), "this address", "at most 5 a day");

        // the next UTC day counts afresh (and the sweep forgets yesterday's counts)
        h.clock.advance(Duration.ofDays(1));
        assertThat(h.api.post("/v1/experiments", experiment(first)).status()).isEqualTo(200);
    }

    @Test
    void papersAreBoundedInTotalWhateverKeysSignThem() {
        for (int i = 0; i < 2; i++) {
            Identity author = Identity.generate();
            assertThat(h.api.signAndPost("/v1/papers", author, paper(author, "finding " + i)).status()).isEqualTo(200);
        }
        Identity late = Identity.generate();
        assertLimit(h.api.signAndPost("/v1/papers", late, paper(late, "one more")), "daily papers limit reached",
                "all keys together", "at most 2 a day");
    }

    @Test
    void newNodesAreBoundedPerAddressWhileKnownNodesAnnounceFreely() {
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        assertThat(h.api.signAndPost("/v1/announce", a, announcement(a, 7001)).status()).isEqualTo(200);
        assertThat(h.api.signAndPost("/v1/announce", b, announcement(b, 7002)).status()).isEqualTo(200);
        Identity c = Identity.generate();
        assertLimit(h.api.signAndPost("/v1/announce", c, announcement(c, 7003)), "daily new_nodes limit reached",
                "this address");
        // nodes already known keep announcing (every 10 s, all day)
        for (int i = 0; i < 5; i++) {
            h.clock.advance(Duration.ofSeconds(10));
            assertThat(h.api.signAndPost("/v1/announce", a, announcement(a, 7001)).status()).isEqualTo(200);
        }
    }

    @Test
    void explorationsAreBoundedPerKey() {
        Identity agent = Identity.generate();
        WorkUnit first = h.api.claim(agent, WorkUnit.Kind.EXPLORE);
        assertThat(first).isNotNull();
        assertThat(first.getKind()).isEqualTo(WorkUnit.Kind.EXPLORE);
        ApiClient.Response second = h.api.signAndPost("/v1/claim", agent, ClaimRequest.newBuilder()
                .setNode(agent.publicId().toByteString()).setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis())
                .setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EXPLORE).build());
        assertLimit(second, "daily explorations limit reached", "this key", "at most 1 a day");
    }

    private Paper paper(Identity author, String title) {
        return Paper.newBuilder().setAuthor(author.publicId().toByteString()).setDirection(DIRECTION)
                .setTitle(title).setBodyMarkdown("findings").setCreatedMs(h.clock.millis()).build();
    }

    private NodeAnnouncement announcement(Identity node, int port) {
        return NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString()).setHost("127.0.0.1")
                .setPort(port).setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build();
    }
}
