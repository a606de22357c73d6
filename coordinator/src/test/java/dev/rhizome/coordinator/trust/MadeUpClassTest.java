package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.TrialRequeues;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A hardware class is the node's word, bound since round 33 to the class a lease was claimed
 * with; two colluding keys could still claim in a class of their own that fits the seed's
 * ({@code cpu:made-up} for a {@code cpu} seed), decide the base's trial there first and so set the
 * class the direction compares in, after which their own candidates, decided in that class, moved
 * the frontier. A class now sets it only where it is established: no class has more networks of
 * standing among the nodes seen lately. Through HTTP, behind a proxy the coordinator trusts, every
 * key on a network of its own; standing earned on a warm-up direction of another seed, the liars'
 * included (the worst case: keys that ran honestly before).
 */
class MadeUpClassTest extends OnEachStore {
    private static final String REAL = "cpu:x86_64";
    private static final String MADE_UP = "cpu:made-up";

    private final List<Identity> honest = List.of(Identity.generate(), Identity.generate(), Identity.generate());
    private final List<String> honestNetworks = List.of("84.17.46.7", "84.17.47.7", "84.17.48.7");
    private final List<Identity> liars = List.of(Identity.generate(), Identity.generate());
    private final List<String> liarNetworks = List.of("81.2.69.5", "81.2.70.5");

    @BeforeEach
    void start() throws Exception {
        // the direction's seed: class cpu, 2 replicas a trial, 1 seed (no confirmation stage)
        open(Fixtures.manifest(2, 0.01, 1).toBuilder().setHardwareClass("cpu").setTimeoutSeconds(600).build(),
                ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults(),
                c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
    }

    /** Every key earns standing (one valid result) on a warm-up seed's base, one trial each. */
    private void warmUp(List<Identity> keys, List<String> networks) {
        warmUp(keys, networks, Fixtures.manifest(1, 0.01, keys.size()).getHardwareClass());
    }

    /**
     * The same on a seed of {@code seedClass}: a made-up class that fits it, with more networks of
     * standing than the warm-up's runners have yet, would keep the warm-up's own base unmeasured.
     */
    private void warmUp(List<Identity> keys, List<String> networks, String seedClass) {
        Manifest warm = Fixtures.manifest(1, 0.01, keys.size()).toBuilder().setName("warm-up")
                .setHardwareClass(seedClass).build();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/seeds", h.operator, Fixtures.seed(h.operator, "warm-up", commit, warm, h.clock.millis()))
                .ack();
        h.api.signAndPost("/v1/directions", h.operator,
                Fixtures.direction(h.operator, "warm-up", "warm-up", commit, h.clock.millis())).ack();
        for (int i = 0; i < keys.size(); i++) {
            WorkUnit unit = h.api.from(networks.get(i)).claimAs(keys.get(i), REAL);
            assertThat(unit.getCommit()).isEqualTo(commit);
            report(keys.get(i), networks.get(i), unit, REAL, 3.0).ack();
        }
    }

    private void announce(Identity node, String from, String hardwareClass) {
        h.api.from(from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("node-" + from + ".example").setPort(7000)
                .setHardwareClass(hardwareClass).setTimeMs(h.clock.millis()).build()).ack();
    }

    private ApiClient.Response report(Identity runner, String from, WorkUnit unit, String hardwareClass, double metric) {
        Result result = Fixtures.result(runner, unit, metric, h.clock.millis()).toBuilder()
                .setHardwareClass(hardwareClass).build();
        return h.api.from(from).signAndPost("/v1/results", runner, result);
    }

    private DirectionStatus direction() {
        return h.api.get("/v1/directions", DirectionList.newBuilder()).getDirectionsList().stream()
                .filter(d -> d.getDirection().getName().equals(DIRECTION)).findFirst().orElseThrow();
    }

    private List<Leaderboard> boards() {
        return h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder()).getLeaderboardsList();
    }

    /** The leaderboard's ranking is shared while fresh (up to a second or so, docs/api.md): waited for. */
    private void comparedBoardIs(String hardwareClass) {
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(boards())
                .filteredOn(Leaderboard::getCompared).singleElement()
                .satisfies(b -> assertThat(b.getHardwareClass()).isEqualTo(hardwareClass)));
    }

    @Test
    void aLiarPairInAMadeUpClassSetsNeitherTheComparisonClassNorTheFrontier() {
        warmUp(List.of(honest.get(0), honest.get(1), honest.get(2), liars.get(0), liars.get(1)),
                List.of(honestNetworks.get(0), honestNetworks.get(1), honestNetworks.get(2), liarNetworks.get(0),
                        liarNetworks.get(1)));
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        for (int i = 0; i < liars.size(); i++) {
            announce(liars.get(i), liarNetworks.get(i), MADE_UP);
        }
        h.withSeedAndDirection();

        // the pair takes both replicas of the base's trial, from two networks, and decides it in its class
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            assertThat(report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.5).status()).isEqualTo(200);
        }
        assertThat(direction().getHasFrontierMetric()).as("the base is not measured in a class not established")
                .isFalse();
        assertThat(direction().getHardwareClass()).isEmpty();
        assertThat(boards()).as("no board is the direction's comparison yet").noneMatch(Leaderboard::getCompared);

        // the base's trial is queued again: two runners of the real class decide it there
        for (int i = 0; i < 2; i++) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            assertThat(unit).as("a replica of the base queued again").isNotNull();
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.2).ack();
        }
        assertThat(direction().getHasFrontierMetric()).isTrue();
        assertThat(direction().getFrontierMetric()).isEqualTo(3.2);
        assertThat(direction().getHardwareClass()).isEqualTo(REAL);
        comparedBoardIs(REAL);

        // their candidate, decided far better in their class, moves nothing
        Identity proposer = Identity.generate();
        String candidate = Fixtures.commit();
        h.api.from("93.184.216.7").signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, candidate, h.seedCommit, h.clock.millis())).ack();
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(candidate);
            report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.1).ack();
        }
        assertThat(direction().getFrontierCommit()).as("the frontier did not move").isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/adoptions?direction=" + DIRECTION, AdoptionList.newBuilder()).getAdoptionsList())
                .isEmpty();
    }

    @Test
    void twoHonestClassesEquallyBackedCompareInTheFirstDecided() {
        Identity a1 = honest.get(0);
        Identity a2 = honest.get(1);
        Identity b1 = liars.get(0);  // here two honest runners of another real class
        Identity b2 = liars.get(1);
        String aarch = "cpu:aarch64";
        warmUp(List.of(a1, a2, b1, b2), List.of(honestNetworks.get(0), honestNetworks.get(1), liarNetworks.get(0),
                liarNetworks.get(1)));
        announce(a1, honestNetworks.get(0), REAL);
        announce(a2, honestNetworks.get(1), REAL);
        announce(b1, liarNetworks.get(0), aarch);
        announce(b2, liarNetworks.get(1), aarch);
        h.withSeedAndDirection();

        WorkUnit first = h.api.from(honestNetworks.get(0)).claimAs(a1, REAL);
        WorkUnit second = h.api.from(honestNetworks.get(1)).claimAs(a2, REAL);
        report(a1, honestNetworks.get(0), first, REAL, 3.2).ack();
        report(a2, honestNetworks.get(1), second, REAL, 3.2).ack();
        assertThat(direction().getFrontierMetric()).isEqualTo(3.2);
        assertThat(direction().getHardwareClass()).as("as before: the first class decided").isEqualTo(REAL);
        comparedBoardIs(REAL);
    }

    /** {@code n} fresh keys claiming in the made-up class, each from a network of its own never seen before. */
    private static List<Identity> freshKeys(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> Identity.generate()).toList();
    }

    @Test
    void aStreamOfFreshKeysInAMadeUpClassGetsTheBasesTrialQueuedAgainAtMostThreeTimes() {
        warmUp(honest, honestNetworks);
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        h.withSeedAndDirection();

        // the first pair decides the base's trial in its class, then three more fresh pairs decide
        // each replica set queued again: the fourth decision queues nothing
        for (int pair = 0; pair <= TrialRequeues.MAX_PER_TRIAL; pair++) {
            List<Identity> keys = freshKeys(2);
            String ack = "";
            for (int i = 0; i < keys.size(); i++) {
                String network = "81." + (10 + pair) + "." + (60 + i) + ".5";
                WorkUnit unit = h.api.from(network).claimAs(keys.get(i), MADE_UP);
                assertThat(unit).as("pair %d takes a replica of the base", pair).isNotNull();
                assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
                ack = report(keys.get(i), network, unit, MADE_UP, 0.5).ack().getMessage();
            }
            if (pair < TrialRequeues.MAX_PER_TRIAL) {
                assertThat(ack).contains("not measured").contains("evaluations queued again at 1 seed(s)");
                assertThat(direction().getNotMeasuredReason()).contains("queued again for an established class ("
                        + (pair + 1) + " of " + TrialRequeues.MAX_PER_TRIAL);
                assertThat(direction().getRequeuesSpent()).isFalse();
            } else {
                assertThat(ack).as("the cap, said in the ack with what follows")
                        .contains("queued again 3 times at seed(s)").contains("not queued again")
                        .contains("until an operator acts").doesNotContain("evaluations queued again");
            }
        }
        DirectionStatus waiting = direction();
        assertThat(waiting.getHasFrontierMetric()).isFalse();
        assertThat(waiting.getRequeuesSpent()).isTrue();
        assertThat(waiting.getNotMeasuredReason()).contains("not queued again").contains("until an operator acts");
        Identity another = Identity.generate();
        assertThat(h.api.from("81.40.1.5").claimAs(another, MADE_UP)).as("nothing more is queued for the stream")
                .isNull();
        assertThat(h.api.from(honestNetworks.get(0)).claimAs(honest.get(0), REAL)).isNull();

        // the operator queues the spent trial again: one more set of replicas, which the real class's runners take
        assertThat(requeue(honest.get(0), DIRECTION, "").status()).as("only an operator").isEqualTo(403);
        assertThat(requeue(h.operator, "no-such-direction", "").status()).isEqualTo(404);
        ApiClient.Response ordered = requeue(h.operator, DIRECTION, "");
        assertThat(ordered.ack().getMessage()).contains("queued again at seed(s) [").contains("2 replica(s) each")
                .contains("ahead of ordinary work");
        assertThat(h.api.post("/v1/directions/requeue", lastOrder).ack().getMessage())
                .as("the same order sent again queues nothing more").contains("already queued again by this order");
        assertThat(direction().getRequeuesSpent()).as("its replicas are pending").isFalse();
        ApiClient.Response early = requeue(h.operator, DIRECTION, "");
        assertThat(early.status()).as("another order while they run: %s", early.text()).isEqualTo(409);
        assertThat(early.text()).contains("replicas are still pending");
        for (int i = 0; i < 2; i++) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            assertThat(unit).as("a replica the operator queued again").isNotNull();
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.2).ack();
        }
        DirectionStatus measured = direction();
        assertThat(measured.getHardwareClass()).isEqualTo(REAL);
        assertThat(measured.getBaselineMetric()).isEqualTo(3.2);
        assertThat(measured.getNotMeasuredReason()).isEmpty();
        ApiClient.Response needless = requeue(h.operator, DIRECTION, "");
        assertThat(needless.status()).as(needless.text()).isEqualTo(409);
        assertThat(needless.text()).contains("decided in " + REAL + ", the class the direction compares in");
    }

    /**
     * An operator's order whose replicas keys of the made-up class take again: the trial is spent
     * again, and the view says how many times the coordinator queued it and how many an operator
     * did, lists each order (who, when, which seeds, why), and the signed order is in the audit
     * trail, where an offline check reads it.
     */
    @Test
    void anOperatorsOrdersAreShownCountedApartFromTheCoordinatorsAndKeptInTheAuditTrail() throws Exception {
        warmUp(honest, honestNetworks);
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        h.withSeedAndDirection();
        for (int pair = 0; pair <= TrialRequeues.MAX_PER_TRIAL; pair++) {
            madeUpPairTakesTheBase("81." + (10 + pair));
        }
        assertThat(direction().getOperatorRequeueCount()).as("no order yet").isZero();
        assertThat(direction().getNotMeasuredReason()).doesNotContain("operators' orders");

        for (int order = 1; order <= 2; order++) {
            ApiClient.Response ordered = requeue(h.operator, DIRECTION, "");
            assertThat(ordered.status()).as(ordered.text()).isEqualTo(200);
            dev.rhizome.proto.v1.SignedEnvelope signed = lastOrder;
            madeUpPairTakesTheBase("82." + order);  // the order's replicas taken by the made-up class again
            DirectionStatus d = direction();
            assertThat(d.getRequeuesSpent()).as("spent again after order %d", order).isTrue();
            assertThat(d.getNotMeasuredReason()).as("the coordinator's requeues and the operator's told apart")
                    .contains("queued again 3 times at seed(s) [")
                    .contains("by the coordinator, and " + order + " more time(s) by operators' orders");
            assertThat(d.getOperatorRequeueCount()).isEqualTo(order);
            assertThat(d.getOperatorRequeuesList()).hasSize(order);
            var newest = d.getOperatorRequeues(0);
            assertThat(newest.getRequeuedBy()).isEqualTo(h.operator.publicId().toByteString());
            assertThat(newest.getCommit()).isEqualTo(h.seedCommit);
            assertThat(newest.getRandomSeedsList()).hasSize(1);
            assertThat(newest.getReason()).isEqualTo("the made-up class's keys are banned");
            assertThat(newest.getRequeuedMs()).isEqualTo(TrialRequeueOrder.parseFrom(signed.getPayload())
                    .getRequeuedMs());
            assertThat(auditTrail()).as("the signed order, as sent, in the audit trail").contains(signed);
        }
        // a refused order (nothing spent: the direction is closed) is not in the trail
        long before = auditTrail().size();
        h.api.signAndPost("/v1/directions/close", h.operator, dev.rhizome.proto.v1.DirectionClosure.newBuilder()
                .setName(DIRECTION).setReason("done").setClosedBy(h.operator.publicId().toByteString())
                .setClosedMs(h.clock.millis()).build()).ack();
        assertThat(auditTrail()).as("the closure is").hasSize((int) before + 1);
        assertThat(requeue(h.operator, DIRECTION, "").status()).isEqualTo(409);
        assertThat(auditTrail()).as("a refused order is not").hasSize((int) before + 1);
    }

    private List<dev.rhizome.proto.v1.SignedEnvelope> auditTrail() {
        return h.api.get("/v1/audit?limit=1000", dev.rhizome.proto.v1.EnvelopeList.newBuilder()).getEnvelopesList();
    }

    /** A fresh pair of keys, each on a network of {@code prefix}, claims and decides the base's trial in the made-up class. */
    private void madeUpPairTakesTheBase(String prefix) {
        List<Identity> keys = freshKeys(2);
        for (int i = 0; i < keys.size(); i++) {
            String network = prefix + "." + (60 + i) + ".5";
            WorkUnit unit = h.api.from(network).claimAs(keys.get(i), MADE_UP);
            assertThat(unit).as("a fresh key on %s takes a replica of the base", network).isNotNull();
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(keys.get(i), network, unit, MADE_UP, 0.5).ack();
        }
    }

    @Test
    void anOperatorsRequeueIsRefusedWhereTheCoordinatorStillQueuesOrNothingWasQueuedAgain() {
        warmUp(honest, honestNetworks);
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        h.withSeedAndDirection();
        ApiClient.Response never = requeue(h.operator, DIRECTION, "");
        assertThat(never.status()).as(never.text()).isEqualTo(409);
        assertThat(never.text()).contains("were never queued again for another class");
        ApiClient.Response stranger = requeue(h.operator, DIRECTION, Fixtures.commit());
        assertThat(stranger.status()).as(stranger.text()).isEqualTo(404);
        assertThat(stranger.text()).contains("is not the base, the frontier or an experiment of direction " + DIRECTION);
        assertThat(requeue(h.operator, DIRECTION, "not-a-commit").status()).isEqualTo(400);

        // one pair's decision in a class not established: queued again once, the coordinator's to queue
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.5).ack();
        }
        assertThat(direction().getNotMeasuredReason()).contains("(1 of 3");
        ApiClient.Response early = requeue(h.operator, DIRECTION, "");
        assertThat(early.status()).as(early.text()).isEqualTo(409);
        assertThat(early.text()).contains("no requeues spent");
        h.api.signAndPost("/v1/directions/close", h.operator, dev.rhizome.proto.v1.DirectionClosure.newBuilder()
                .setName(DIRECTION).setReason("done").setClosedBy(h.operator.publicId().toByteString())
                .setClosedMs(h.clock.millis()).build()).ack();
        ApiClient.Response closed = requeue(h.operator, DIRECTION, "");
        assertThat(closed.status()).as(closed.text()).isEqualTo(409);
        assertThat(closed.text()).contains("is closed (done)");
    }

    private dev.rhizome.proto.v1.SignedEnvelope lastOrder;

    /** An order to queue the spent trials of {@code commit} (empty: the frontier) of {@code direction} again, signed by {@code by}. */
    private ApiClient.Response requeue(Identity by, String direction, String commit) {
        lastOrder = h.api.sign(by, TrialRequeueOrder.newBuilder().setName(direction).setCommit(commit)
                .setReason("the made-up class's keys are banned").setRequeuedBy(by.publicId().toByteString())
                .setRequeuedMs(h.clock.millis()).build());
        h.clock.advance(Duration.ofMillis(1));  // each order its own time: the same time would be the same order
        return h.api.post("/v1/directions/requeue", lastOrder);
    }

    @Test
    void onAYoungNetworkThePairsClassIsChosenAgainOnceAnotherClassIsEstablishedBeforeAnythingIsAdopted() {
        // nobody has standing yet: the pair, first on the base, sets the class as round 34 allowed
        for (int i = 0; i < liars.size(); i++) {
            announce(liars.get(i), liarNetworks.get(i), MADE_UP);
        }
        h.withSeedAndDirection();
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.5).ack();
        }
        assertThat(direction().getHardwareClass()).as("a young network's first deciders").isEqualTo(MADE_UP);

        // honest runners earn standing elsewhere, on three networks, and announce the real class
        warmUp(honest, honestNetworks, REAL);
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        Identity proposer = Identity.generate();
        String candidate = Fixtures.commit();
        h.api.from("93.184.216.7").signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, candidate, h.seedCommit, h.clock.millis())).ack();
        String ack = "";
        for (int i = 0; i < 2; i++) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            assertThat(unit.getCommit()).as("claim %d (the base is %s; ack before: %s)", i, h.seedCommit, ack)
                    .isEqualTo(candidate);
            ack = report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.0).ack().getMessage();
        }
        assertThat(ack).contains("a hardware class no longer established").contains("its class is chosen again");
        DirectionStatus revisited = direction();
        assertThat(revisited.getHardwareClass()).isEmpty();
        assertThat(revisited.getHasFrontierMetric()).isFalse();
        assertThat(revisited.getHasBaselineMetric()).as("the base's metric in the old class is no baseline of the new")
                .isFalse();
        assertThat(revisited.getNotMeasuredReason()).contains("queued again for an established class (1 of 3");

        // the base's trial, queued again ahead, goes to the real class's runners, who decide it there
        for (int i = 0; i < 2; i++) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            assertThat(unit).as("a replica of the base queued again").isNotNull();
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.2).ack();
        }
        DirectionStatus measured = direction();
        assertThat(measured.getHardwareClass()).isEqualTo(REAL);
        assertThat(measured.getBaselineMetric()).as("the base, measured in the real class").isEqualTo(3.2);
        assertThat(measured.getNotMeasuredReason()).isEmpty();
        assertThat(measured.getFrontierCommit()).as("the honest candidate, compared in the real class, is adopted")
                .isEqualTo(candidate);
        comparedBoardIs(REAL);
    }

    @Test
    void anHonestCandidateWhoseReplicasThePairTookIsOfferedToTheEstablishedClassFirst() {
        warmUp(List.of(honest.get(0), honest.get(1), honest.get(2), liars.get(0), liars.get(1)),
                List.of(honestNetworks.get(0), honestNetworks.get(1), honestNetworks.get(2), liarNetworks.get(0),
                        liarNetworks.get(1)));
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        for (int i = 0; i < liars.size(); i++) {
            announce(liars.get(i), liarNetworks.get(i), MADE_UP);
        }
        h.withSeedAndDirection();
        for (int i = 0; i < 2; i++) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.2).ack();
        }
        assertThat(direction().getHardwareClass()).isEqualTo(REAL);

        // an honest candidate, then two more queued behind it
        List<String> candidates = List.of(Fixtures.commit(), Fixtures.commit(), Fixtures.commit());
        for (int c = 0; c < candidates.size(); c++) {
            Identity proposer = Identity.generate();
            h.api.from("93.184." + (216 + c) + ".7").signAndPost("/v1/experiments", proposer,
                    Fixtures.experiment(proposer, SEED, DIRECTION, candidates.get(c), h.seedCommit, h.clock.millis()))
                    .ack();
        }
        String ack = "";
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(candidates.get(0));
            ack = report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.1).ack().getMessage();
        }
        assertThat(ack).contains("decided only in hardware classes direction " + DIRECTION + " does not compare in ("
                + REAL + "); queued again for it, ahead");

        // the established class's runners get its replicas before the candidates queued after it
        for (int i : List.of(2, 0)) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            assertThat(unit.getCommit()).as("the honest candidate's trial, queued again ahead")
                    .isEqualTo(candidates.get(0));
            report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.0).ack();
        }
        assertThat(h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder())
                .getLeaderboardsList()).filteredOn(b -> b.getHardwareClass().equals(REAL)).singleElement()
                .satisfies(b -> assertThat(b.getEntriesList()).anyMatch(e -> e.getCommit().equals(candidates.get(0))));
    }
}
