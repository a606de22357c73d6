package dev.rhizome.coordinator.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys are free: two keys of one person on one machine used to take both replicas of a trial and
 * confirm a metric of their own. Through HTTP, behind a proxy the coordinator trusts (loopback),
 * each client presenting its own origin: replicas of a trial go to distinct networks as the
 * coordinator sees them while someone elsewhere is around, and to the same network once the hold
 * has passed.
 */
class SybilNetworksTest {
    @TempDir
    Path dataDir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        // 2 replicas per trial, 2 random seeds; leases (2 x 600 s + 30 s) outlast the hold
        h = new Harness(dataDir, Fixtures.manifest(2, 0.01, 2).toBuilder().setTimeoutSeconds(600).build(),
                ApiClient.Format.PROTOBUF);
        h.restart(ApiClient.Format.PROTOBUF, c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
        h.withSeedAndDirection();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private WorkUnit claim(Identity node, String from) {
        return h.api.from(from).claim(node, WorkUnit.Kind.EVALUATE);
    }

    /** A node announces itself as seen from {@code from}: someone there could take a replica. */
    private Identity announced(String from) {
        Identity node = Identity.generate();
        h.api.from(from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("node.example").setPort(7000)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
        return node;
    }

    @Test
    void twoKeysOfOneNetworkDoNotGetBothReplicasOfATrialWhileAnotherNetworkDoes() {
        Identity sybilA = Identity.generate();
        Identity sybilB = Identity.generate();
        Identity sybilC = Identity.generate();
        Identity honest = announced("84.17.46.7");
        Identity neighbour = announced("84.17.46.8");
        WorkUnit a = claim(sybilA, "81.2.69.5");
        WorkUnit b = claim(sybilB, "81.2.69.6");
        assertThat(b).as("the base's other trial").isNotNull();
        assertThat(b.getRandomSeed()).isNotEqualTo(a.getRandomSeed());
        assertThat(claim(sybilC, "81.2.69.7")).as("both trials were leased from this network").isNull();

        assertThat(claim(honest, "84.17.46.7").getRandomSeed()).as("the oldest replica left")
                .isEqualTo(a.getRandomSeed());
        assertThat(claim(neighbour, "84.17.46.8").getRandomSeed()).isEqualTo(b.getRandomSeed());
    }

    @Test
    void aNetworkWithNobodyElseAroundIsNotHeldBack() {
        // one NAT's volunteers alone (or every client behind a proxy the coordinator does not trust)
        Identity sybilA = announced("81.2.69.5");
        Identity sybilB = announced("81.2.69.6");
        WorkUnit a = claim(sybilA, "81.2.69.5");
        WorkUnit b = claim(sybilB, "81.2.69.6");
        assertThat(b.getRandomSeed()).as("another trial first").isNotEqualTo(a.getRandomSeed());
        assertThat(claim(Identity.generate(), "81.2.69.7").getRandomSeed()).as("then no wait")
                .isEqualTo(a.getRandomSeed());
    }

    @Test
    void afterTheHoldTheSameNetworkMayTakeTheOtherReplica() {
        Identity sybilA = Identity.generate();
        Identity sybilB = Identity.generate();
        announced("84.17.46.7");  // someone elsewhere, who does not claim
        WorkUnit first = claim(sybilA, "81.2.69.5");
        WorkUnit second = claim(sybilA, "81.2.69.5");
        assertThat(claim(sybilB, "81.2.69.6")).isNull();
        h.clock.advance(ReplicaNetworks.HOLD.minus(Duration.ofSeconds(1)));
        assertThat(claim(sybilB, "81.2.69.6")).as("within the hold").isNull();
        h.clock.advance(Duration.ofSeconds(2));
        WorkUnit late = claim(sybilB, "81.2.69.6");
        assertThat(late).as("nobody else came: volunteers behind one NAT still finish").isNotNull();
        assertThat(late.getCommit()).isEqualTo(first.getCommit());
        assertThat(late.getRandomSeed()).isIn(first.getRandomSeed(), second.getRandomSeed());
    }

    @Test
    void loopbackIsNotHeldBackAndMachinesOfOnePrivateNetworkCountAsDistinct() {
        // without a proxy's word the origin is loopback, the coordinator's own machine (the demo's nodes)
        WorkUnit local = h.api.claim(Identity.generate(), WorkUnit.Kind.EVALUATE);
        assertThat(h.api.claim(Identity.generate(), WorkUnit.Kind.EVALUATE).getRandomSeed())
                .isEqualTo(local.getRandomSeed());
        WorkUnit a = claim(Identity.generate(), "10.0.0.5");
        WorkUnit b = claim(Identity.generate(), "10.0.0.6");
        assertThat(a.getRandomSeed()).isNotEqualTo(local.getRandomSeed());
        assertThat(b.getRandomSeed()).as("another machine of the lab may replicate").isEqualTo(a.getRandomSeed());
    }
}
