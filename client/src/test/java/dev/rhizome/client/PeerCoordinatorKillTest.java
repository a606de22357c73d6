package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators sharing one PostgreSQL store, one of them SIGKILLed while it holds leases and a
 * claim waiting for work: the other, which nothing told of the kill, must carry on with all of it.
 * The lease whose answer the kill cut is found by its claim's nonce there, its result is taken
 * there, and the lease whose holder is gone expires by its sweep. A held claim is not carried
 * over (the killed one spent its nonce and leased nothing for it): sent again it is refused, as a
 * claimant's client expects, and the fresh claim that follows waits there and is answered when work
 * opens. Real coordinator processes and a real PostgreSQL server.
 */
class PeerCoordinatorKillTest {
    /** Long enough that the surviving claimant's resend and report land in it at load 30. */
    private static final int LEASE_SECONDS = 40;
    private static final String[] LEASE = {"--lease-seconds", Integer.toString(LEASE_SECONDS)};

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @Test
    void theSurvivingCoordinatorTakesOverTheKilledOnesLeasesAndHeldClaims() throws Exception {
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        try (TestPostgres pg = TestPostgres.create()) {
            Process a = null;
            Process b = null;
            try {
                // b first: it makes the schema, so the two do not race to migrate it (they would wait in turn)
                b = coordinators.start("b", pg.address(), List.of(), LEASE);
                String urlB = coordinators.url("b", b);
                a = coordinators.start("a", pg.address(), List.of(), LEASE);
                String urlA = coordinators.url("a", a);
                CoordinatorClient operatorB = new CoordinatorClient(urlB, Identity.generate());
                Seed seed = openTwoUnits(operatorB);

                // through a: x's lease (its answer to be lost with a), y's lease (y to vanish with a)
                Identity x = Identity.generate();
                ClaimRequest xClaim = claim(x, 0);
                WorkUnit u1 = new CoordinatorClient(urlA, x).claim(xClaim).getUnit();
                Identity y = Identity.generate();
                WorkUnit u2 = new CoordinatorClient(urlA, y).claim(claim(y, 0)).getUnit();
                assertThat(List.of(u1.getId(), u2.getId())).as("both open units leased through a").doesNotContain("");

                // z's claim waits at a for work (none is open)
                Identity z = Identity.generate();
                ClaimRequest zClaim = claim(z, 20);
                CompletableFuture<ClaimResponse> zAtA = CompletableFuture.supplyAsync(() -> claimQuietly(urlA, z, zClaim));
                await().atMost(Duration.ofMinutes(2)).until(() -> claimsWaiting(urlA) >= 1);

                RealProcess.kill(a);  // SIGKILL
                ClaimResponse cut = zAtA.get(60, TimeUnit.SECONDS);
                assertThat(cut).as("z's held claim cut by the kill, no answer").isNull();

                // x never read its answer: the same claim sent to b gets x's unit back, and b takes its result
                CoordinatorClient xAtB = new CoordinatorClient(urlB, x);
                assertThat(xAtB.claim(xClaim).getUnit().getId()).as("the unit a leased to x, found at b by its nonce")
                        .isEqualTo(u1.getId());
                xAtB.reportResult(xAtB.signed(HandRunResults.ok(u1, x, "cpu:peers", TinyLmSeed.manifest().getMetric().getName(), 2.0)));
                assertThat(units(operatorB, "DONE")).as("x's unit, its result taken by b").contains(u1.getId());

                // z sends its claim again to b, as a claimant does with a claim that got no answer: a
                // spent its nonce and leased nothing for it, so b refuses it (409, nothing leased to z);
                // the fresh claim that follows waits at b, and is answered when work opens through b
                CoordinatorClient zAtB = new CoordinatorClient(urlB, z, Duration.ofMinutes(2));
                assertThat(catchThrowableOfType(CoordinatorException.class, () -> zAtB.claim(zClaim)).status())
                        .as("z's held claim sent again to b").isEqualTo(409);
                assertThat(heldBy(operatorB, z)).as("leased to z by its held claim").isEmpty();
                CompletableFuture<ClaimResponse> zFresh = CompletableFuture.supplyAsync(
                        () -> claimQuietly(urlB, z, claim(z, 20)));
                await().atMost(Duration.ofMinutes(2)).until(() -> zFresh.isDone() || claimsWaiting(urlB) >= 1);
                String u3 = register(operatorB, seed);
                ClaimResponse zAnswer = zFresh.get(3, TimeUnit.MINUTES);
                assertThat(zAnswer).as("z's claim answered by b").isNotNull();
                assertThat(zAnswer.getUnit().getId()).as("a unit for z's held claim, once work opened")
                        .isIn(u2.getId(), u3);

                // y is gone: its lease, made by a, expires by b's sweep (its unit is open again, or z's)
                await().atMost(Duration.ofSeconds(LEASE_SECONDS + 180)).until(() -> !heldBy(operatorB, y).contains(u2.getId()));
                List<String> u2Now = new ArrayList<>(units(operatorB, "OPEN"));
                u2Now.addAll(heldBy(operatorB, z));
                assertThat(u2Now).as("y's unit back in play after its lease ran out").contains(u2.getId());

                // a, restarted on the store it was killed on, opens it and answers
                a = coordinators.start("a", pg.address(), List.of(), LEASE);
                CoordinatorClient operatorA = new CoordinatorClient(coordinators.url("a", a), Identity.generate());
                assertThat(units(operatorA, "DONE")).as("what a reads after its restart").contains(u1.getId());
            } finally {
                CoordinatorProcesses.stop(a);
                CoordinatorProcesses.stop(b);
            }
        }
    }

    /** A seed with quorum 1 and direction "load" at its base: the base's unit and one experiment's are open. */
    private Seed openTwoUnits(CoordinatorClient operator) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).setAdoptionSeeds(1).clearTrustedProposers()
                .build();
        Seed seed = Seed.newBuilder().setName("peers").setCommit(commit()).setManifest(manifest)
                .setPublisher(operator.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis())
                .build();
        operator.publishSeed(seed);
        operator.openDirection(Direction.newBuilder().setName("load").setSeed("peers").setBaseCommit(seed.getCommit())
                .setOpenedBy(operator.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis())
                .build());
        register(operator, seed);
        return seed;
    }

    /** Registers a new experiment on "load"; the id of the unit it opened. */
    private String register(CoordinatorClient operator, Seed seed) throws CoordinatorException {
        List<String> before = units(operator, "OPEN");
        String commit = commit();
        operator.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection("load")
                .setCommit(commit).setParent(seed.getCommit()).setProposer(operator.identity().publicId().toByteString())
                .setCreatedMs(System.currentTimeMillis()).build());
        return operator.units(null).getUnitsList().stream().map(u -> u.getUnit())
                .filter(u -> u.getCommit().equals(commit) && !before.contains(u.getId())).map(WorkUnit::getId)
                .findFirst().orElseThrow(() -> new AssertionError("no unit opened for experiment " + commit));
    }

    private static ClaimRequest claim(Identity who, int waitS) {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        return ClaimRequest.newBuilder().setNode(who.publicId().toByteString()).setHardwareClass("cpu:peers")
                .addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis()).setWaitS(waitS)
                .setNonce(ByteString.copyFrom(nonce)).build();
    }

    /** The claim's answer, or null when the call got none (the coordinator died under it). */
    private static ClaimResponse claimQuietly(String url, Identity who, ClaimRequest request) {
        try {
            return new CoordinatorClient(url, who, Duration.ofMinutes(2)).claim(request);
        } catch (CoordinatorException e) {
            if (e.status() == 0) {
                return null;
            }
            throw new IllegalStateException(e);
        }
    }

    private static List<String> units(CoordinatorClient operator, String state) throws CoordinatorException {
        return operator.units(state).getUnitsList().stream().map(u -> u.getUnit().getId()).toList();
    }

    private static List<String> heldBy(CoordinatorClient operator, Identity who) throws CoordinatorException {
        byte[] key = who.publicId().toByteString().toByteArray();
        return operator.units("LEASED").getUnitsList().stream()
                .filter(u -> Arrays.equals(u.getHolder().toByteArray(), key)).map(u -> u.getUnit().getId()).toList();
    }

    /**
     * One client for every look at /metrics, its connections kept alive: a client per look left a
     * connection open each time, and at 64 the coordinator refused the address (503).
     */
    private static final HttpClient METRICS = HttpClient.newHttpClient();

    /** The coordinator's count of claims held waiting for work (its /metrics). */
    private static double claimsWaiting(String url) throws IOException, InterruptedException {
        String metrics = METRICS.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("rhizome_claims_waiting ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no rhizome_claims_waiting in /metrics: " + metrics);
    }

    private String commit() {
        byte[] b = new byte[20];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
