package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Sybil operator with many free keys on a few networks attacks settlement through HTTP, behind
 * a proxy the coordinator trusts (loopback) that names each client's origin. Four honest
 * volunteers on networks of their own have earned standing on the base commit; the attacker's
 * keys are new. On each store: the claim page is a statement on PostgreSQL and a walk of the
 * open queue kept in memory on SQLite.
 */
class SybilSettlementTest extends OnEachStore {
    private static final double HONEST = 3.25;
    private static final double LIE = 1.0;

    private final List<Identity> honest = List.of(Identity.generate(), Identity.generate(), Identity.generate(),
            Identity.generate());
    private final List<String> honestNetworks = List.of("84.17.46.7", "84.17.47.7", "84.17.48.7", "84.17.49.7");

    @BeforeEach
    void start() throws Exception {
        // 2 replicas per trial, 2 random seeds; leases (2 x 600 s + 30 s) outlast the hold
        open(Fixtures.manifest(2, 0.01, 2).toBuilder().setTimeoutSeconds(600).build(), ApiClient.Format.PROTOBUF,
                CoordinatorLimits.defaults(), c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
        h.withSeedAndDirection();
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i));
        }
        // the base's two trials, each run by two honest networks: all four have a valid result
        for (int i = 0; i < honest.size(); i++) {
            WorkUnit unit = claim(honest.get(i), honestNetworks.get(i));
            report(honest.get(i), unit, 3.2);
        }
        assertThat(trials(h.seedCommit)).hasSize(2)
                .allSatisfy(t -> assertThat(t.getState()).isEqualTo(ResultVerdict.State.VALID));
    }

    @Test
    void aSecondNetworkOfTheLiarDoesNotBreakItsTieWithAnHonestRunner() {
        Identity sybil1 = Identity.generate();
        Identity sybil2 = Identity.generate();
        announce(sybil2, "81.2.70.5");
        String commit = propose(Identity.generate(), "93.184.216.7");
        WorkUnit honestReplica = claim(honest.get(0), honestNetworks.get(0));
        WorkUnit lyingReplica = claim(sybil1, "81.2.69.5");
        assertThat(lyingReplica.getRandomSeed()).as("the other replica of the honest runner's trial")
                .isEqualTo(honestReplica.getRandomSeed());
        // the other trial is taken by two other honest networks: the tie-breaker is all that is left
        claim(honest.get(1), honestNetworks.get(1));
        claim(honest.get(2), honestNetworks.get(2));
        report(honest.get(0), honestReplica, HONEST);
        report(sybil1, lyingReplica, LIE);
        assertThat(trial(commit, honestReplica.getRandomSeed()).getState())
                .isEqualTo(ResultVerdict.State.INCONCLUSIVE);

        assertThat(claim(sybil2, "81.2.70.5")).as("the tie-breaker waits for keys the coordinator chose").isNull();
        WorkUnit tieBreaker = claim(honest.get(3), honestNetworks.get(3));
        assertThat(tieBreaker.getRandomSeed()).isEqualTo(honestReplica.getRandomSeed());
        report(honest.get(3), tieBreaker, HONEST);
        Trial decided = trial(commit, honestReplica.getRandomSeed());
        assertThat(decided.getState()).isEqualTo(ResultVerdict.State.VALID);
        assertThat(decided.getMetric()).isEqualTo(HONEST);
        assertThat(stateOf(decided, honest.get(0))).isEqualTo(ResultVerdict.State.VALID);
        assertThat(stateOf(decided, sybil1)).isEqualTo(ResultVerdict.State.INVALID);
    }

    @Test
    void aTieBreakerNobodyChosenTakesIsOpenToAnyoneAfterTheHold() {
        Identity sybil1 = Identity.generate();
        Identity sybil2 = Identity.generate();
        String commit = propose(Identity.generate(), "93.184.216.7");
        WorkUnit honestReplica = claim(honest.get(0), honestNetworks.get(0));
        WorkUnit lyingReplica = claim(sybil1, "81.2.69.5");
        claim(honest.get(1), honestNetworks.get(1));
        claim(honest.get(2), honestNetworks.get(2));
        report(honest.get(0), honestReplica, HONEST);
        report(sybil1, lyingReplica, LIE);
        assertThat(claim(sybil2, "81.2.70.5")).isNull();
        h.clock.advance(SpotChecks.HOLD.plus(Duration.ofSeconds(1)));
        // the chosen keys went away: a check is never stuck (the known limit: an attacker that
        // outlasts the chosen keys breaks the tie)
        WorkUnit late = claim(sybil2, "81.2.70.5");
        assertThat(late).isNotNull();
        assertThat(late.getCommit()).isEqualTo(commit);
        assertThat(late.getRandomSeed()).isEqualTo(honestReplica.getRandomSeed());
    }

    /**
     * The network a result came from is the one the trusted proxy names: a liar that leases from
     * one network and reports from another showed both, and a key of the second (with standing
     * earned there) does not break the tie with the liar.
     */
    @Test
    void aKeyOfTheNetworkALiarReportedFromDoesNotBreakItsTie() {
        Identity liar = Identity.generate();
        Identity accomplice = honest.get(3);  // standing earned on 84.17.49.0/24
        String commit = propose(Identity.generate(), "93.184.216.7");
        WorkUnit honestReplica = claim(honest.get(0), honestNetworks.get(0));
        WorkUnit lyingReplica = claim(liar, "81.2.69.5");
        claim(honest.get(1), honestNetworks.get(1));
        claim(honest.get(2), honestNetworks.get(2));
        report(honest.get(0), honestReplica, HONEST);
        h.api.from("84.17.49.99").signAndPost("/v1/results", liar,
                Fixtures.result(liar, lyingReplica, LIE, h.clock.millis())).ack();

        assertThat(claim(accomplice, honestNetworks.get(3))).as("not chosen: its network sent the lie").isNull();
        WorkUnit tieBreaker = claim(honest.get(1), honestNetworks.get(1));
        assertThat(tieBreaker.getCommit()).isEqualTo(commit);
        assertThat(tieBreaker.getRandomSeed()).isEqualTo(honestReplica.getRandomSeed());
    }

    /**
     * A chosen key may claim from anywhere: from the network the liar sent its result from, it is
     * the liar's second key as far as the coordinator can tell, and waits (round 29: only the
     * networks that leased the trial were refused).
     */
    @Test
    void aChosenKeyClaimingFromTheNetworkALiarReportedFromDoesNotBreakItsTie() {
        Identity liar = Identity.generate();
        String commit = propose(Identity.generate(), "93.184.216.7");
        WorkUnit honestReplica = claim(honest.get(0), honestNetworks.get(0));
        WorkUnit lyingReplica = claim(liar, "81.2.69.5");
        claim(honest.get(1), honestNetworks.get(1));
        claim(honest.get(2), honestNetworks.get(2));
        report(honest.get(0), honestReplica, HONEST);
        h.api.from("62.1.1.9").signAndPost("/v1/results", liar,
                Fixtures.result(liar, lyingReplica, LIE, h.clock.millis())).ack();

        assertThat(claim(honest.get(3), "62.1.1.50")).as("from the network the lie was sent from").isNull();
        WorkUnit tieBreaker = claim(honest.get(3), honestNetworks.get(3));
        assertThat(tieBreaker.getCommit()).isEqualTo(commit);
        assertThat(tieBreaker.getRandomSeed()).isEqualTo(honestReplica.getRandomSeed());
    }

    /**
     * A proposer's second key on its own network does not run its experiment, neither a replica
     * nor a tie-breaker it was chosen for: it would confirm the proposer's own metric.
     */
    @Test
    void theNetworkThatRegisteredACommitDoesNotRunIt() {
        Identity proposer = Identity.generate();
        Identity second = Identity.generate();
        announce(second, "81.2.70.5");
        String commit = propose(proposer, "93.184.216.7");
        assertThat(claim(second, "93.184.216.99")).as("the proposer's network, another key").isNull();
        assertThat(claim(honest.get(3), "93.184.216.98")).as("a key with standing, from the proposer's network")
                .isNull();
        WorkUnit replica = claim(second, "81.2.70.5");
        assertThat(replica.getCommit()).as("the same key from elsewhere").isEqualTo(commit);

        // the hold that lets any network take a trial after 10 minutes does not open it to this one
        // (while another network's node announces: with none, nobody else could take it)
        h.clock.advance(SpotChecks.HOLD.plus(Duration.ofSeconds(1)));
        announce(honest.get(0), honestNetworks.get(0));
        assertThat(claim(honest.get(3), "93.184.216.98")).isNull();
        assertThat(claim(honest.get(0), honestNetworks.get(0)).getCommit()).isEqualTo(commit);
    }

    /**
     * A host is a node's own word: the liar and its proposer announce the hosts of two keys with
     * standing. Until round 31 the draw left those keys out, so a network with few such keys had
     * nobody to draw and the tie-breaker was open at once to the liar's second network. Now the
     * draw leaves out only what the coordinator saw: both keys stay in it, and one of them takes
     * the tie-breaker.
     */
    @Test
    void aLiarAnnouncingTheHostsOfKeysWithStandingDoesNotKeepThemOutOfTheTieBreakersDraw() {
        Identity liar = Identity.generate();
        Identity liarsSecond = Identity.generate();
        Identity proposer = Identity.generate();
        announce(liarsSecond, "81.2.70.5");
        announce(liar, "81.2.69.5", "node-" + honestNetworks.get(3) + ".example");
        announce(proposer, "93.184.216.7", "node-" + honestNetworks.get(2) + ".example");
        String commit = propose(proposer, "93.184.216.7");
        WorkUnit honestReplica = claim(honest.get(0), honestNetworks.get(0));
        WorkUnit lyingReplica = claim(liar, "81.2.69.5");
        // the other trial is taken by two other honest networks: the tie-breaker is all that is left
        claim(honest.get(1), honestNetworks.get(1));
        claim(honest.get(2), honestNetworks.get(2));
        report(honest.get(0), honestReplica, HONEST);
        String ack = h.api.signAndPost("/v1/results", liar, Fixtures.result(liar, lyingReplica, LIE, h.clock.millis()))
                .ack().getMessage();
        assertThat(ack).as("honest 1, 2 and 3: the hosts the liar named leave nobody out")
                .contains("for 3 key(s) the coordinator chose");

        assertThat(claim(liarsSecond, "81.2.70.5")).as("the liar's second network waits").isNull();
        WorkUnit tieBreaker = claim(honest.get(3), honestNetworks.get(3));
        assertThat(tieBreaker.getCommit()).as("the key whose host the liar announced").isEqualTo(commit);
        assertThat(tieBreaker.getRandomSeed()).isEqualTo(honestReplica.getRandomSeed());
        report(honest.get(3), tieBreaker, HONEST);
        assertThat(stateOf(trial(commit, honestReplica.getRandomSeed()), liar)).isEqualTo(ResultVerdict.State.INVALID);
    }

    /**
     * Sharing the coordinator saw still leaves a key out: a key with standing whose latest
     * announcement came from the liar's address is not drawn, whatever host it names.
     */
    @Test
    void aKeyAnnouncingFromTheLiarsAddressIsLeftOutOfTheDraw() {
        Identity liar = Identity.generate();
        String commit = propose(Identity.generate(), "93.184.216.7");
        WorkUnit honestReplica = claim(honest.get(0), honestNetworks.get(0));
        WorkUnit lyingReplica = claim(liar, "81.2.69.5");
        claim(honest.get(1), honestNetworks.get(1));
        claim(honest.get(2), honestNetworks.get(2));
        h.clock.advance(Duration.ofSeconds(1));  // a later announcement replaces the one on record
        announce(honest.get(3), "81.2.69.5");  // the liar's second key, with standing earned elsewhere
        report(honest.get(0), honestReplica, HONEST);
        String ack = h.api.signAndPost("/v1/results", liar, Fixtures.result(liar, lyingReplica, LIE, h.clock.millis()))
                .ack().getMessage();
        assertThat(ack).as("honest 1 and 2 only").contains("for 2 key(s) the coordinator chose");
        assertThat(claim(honest.get(3), honestNetworks.get(3))).as("seen at the liar's address").isNull();
        WorkUnit tieBreaker = claim(honest.get(2), honestNetworks.get(2));
        assertThat(tieBreaker.getCommit()).isEqualTo(commit);
        assertThat(tieBreaker.getRandomSeed()).isEqualTo(honestReplica.getRandomSeed());
    }

    // --- helpers ---------------------------------------------------------------------------

    private void announce(Identity node, String from) {
        announce(node, from, "node-" + from + ".example");
    }

    /** @param host the host it names, its own word */
    private void announce(Identity node, String from, String host) {
        h.api.from(from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost(host).setPort(7000)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
    }

    private WorkUnit claim(Identity node, String from) {
        return h.api.from(from).claim(node, WorkUnit.Kind.EVALUATE);
    }

    private void report(Identity runner, WorkUnit unit, double metric) {
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, metric, h.clock.millis())).ack();
    }

    private String propose(Identity proposer, String from) {
        String commit = Fixtures.commit();
        h.api.from(from).signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        return commit;
    }

    private List<Trial> trials(String commit) {
        return h.api.get("/v1/trials?commit=" + commit, TrialList.newBuilder()).getTrialsList();
    }

    private Trial trial(String commit, long randomSeed) {
        return trials(commit).stream().filter(t -> t.getRandomSeed() == randomSeed).findFirst().orElseThrow();
    }

    private static ResultVerdict.State stateOf(Trial trial, Identity runner) {
        ByteString key = runner.publicId().toByteString();
        return trial.getResultsList().stream().filter(r -> r.getRunner().equals(key)).findFirst().orElseThrow()
                .getState();
    }
}
