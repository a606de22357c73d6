package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.service.ClaimWaits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Slowloris on claims that wait (`wait_s`), on raw sockets: a held claim holds its connection
 * (no worker, no store read) for up to 20 s, so what a hostile client can hold with them is
 * bounded by the connection caps, and what it leaves behind when it goes away is nothing. On both
 * stores: on PostgreSQL a held claim listens on the store's channel.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class HeldClaimSlowlorisTest {
    private static final int PER_ADDRESS = 4;

    @Parameter
    String store;

    @TempDir
    Path dataDir;

    private Harness h;
    private final List<RawHttp> open = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON,
                CoordinatorLimits.defaults().withConnections(256, PER_ADDRESS)
                        .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(120)));
        h.withSeedAndDirection();
        assertThat(h.api.claimResponse(Identity.generate()).hasUnit()).as("the direction's baseline, out of the way").isTrue();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawHttp raw : open) {
            raw.close();
        }
        if (h != null) {
            h.close();
        }
    }

    /** A signed claim that waits up to the longest wait, as raw request bytes. */
    private byte[] heldClaim() {
        return heldClaim(ClaimWaits.MAX_WAIT_S);
    }

    /** A signed claim that waits up to {@code waitS}, as raw request bytes. */
    private byte[] heldClaim(int waitS) {
        Identity node = Identity.generate();
        byte[] body = h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .setWaitS(waitS).build()).toByteArray();
        return RawHttp.bytes("POST", "/v1/claim", "application/x-protobuf", body);
    }

    private RawHttp connect(String from) throws Exception {
        RawHttp raw = new RawHttp(h.coordinator.url(), from);
        open.add(raw);
        return raw;
    }

    /** The claims held now, read from another /24 than the hostile one's, whose caps it fills. */
    private double waiting() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url(), "127.0.9.1")) {
            for (String line : raw.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").read().body().split("\n")) {
                if (line.startsWith("rhizome_claims_waiting ")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        throw new AssertionError("no rhizome_claims_waiting in /metrics");
    }

    @Test
    void heldClaimsPastTheAddressCapAreRefusedAndGoneOnceTheirClientsAre() throws Exception {
        for (int i = 0; i < PER_ADDRESS; i++) {
            connect("127.0.5.1").send(heldClaim());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == PER_ADDRESS);
        // one more from the same address is refused with the cap named; a neighbour is served
        try (RawHttp over = new RawHttp(h.coordinator.url(), "127.0.5.1")) {
            RawHttp.Response refused = over.send(heldClaim()).read();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.body()).contains("holds its most connections (" + PER_ADDRESS + ")");
        }
        try (RawHttp neighbour = new RawHttp(h.coordinator.url(), "127.0.5.2")) {
            assertThat(neighbour.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        // Clients that vanish (a reset) leave no held claim behind them: each is let go when its
        // connection closes, long before its 20 s wait would have ended it.
        long closed = System.nanoTime();
        for (RawHttp raw : open.subList(0, 2)) {
            raw.reset();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> waiting() == PER_ADDRESS - 2);
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofSeconds(ClaimWaits.MAX_WAIT_S));
        // A client that closes normally (a FIN) is let go at once too: its claim is answered
        // "nothing came" (a half-closed client still reads it), not held to its wait's end.
        long finished = System.nanoTime();
        for (RawHttp raw : open.subList(2, PER_ADDRESS)) {
            raw.close();
        }
        open.clear();
        await().atMost(Duration.ofSeconds(15)).until(() -> waiting() == 0);
        assertThat(Duration.ofNanos(System.nanoTime() - finished)).isLessThan(Duration.ofSeconds(ClaimWaits.MAX_WAIT_S));
        // and the address has its places back
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            try (RawHttp probe = new RawHttp(h.coordinator.url(), "127.0.5.1")) {
                return probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().status() == 200;
            }
        });
        try (RawHttp again = new RawHttp(h.coordinator.url(), "127.0.5.1")) {
            assertThat(again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
    }

    @Test
    void aHalfClosedClientIsAnsweredAtOnceAndAClosedOnesClaimLeasesNothing() throws Exception {
        // A client that shuts its side after its claim still reads: it is answered now, "nothing
        // came, claim again", where it used to wait the whole 20 s for it.
        RawHttp reader = connect("127.0.7.1").send(heldClaim());
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
        long shut = System.nanoTime();
        reader.shutdownOutput();
        RawHttp.Response answer = reader.read();
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).as("its wait ended, nothing leased").contains("waited").doesNotContain("\"unit\"");
        assertThat(Duration.ofNanos(System.nanoTime() - shut)).isLessThan(Duration.ofSeconds(ClaimWaits.MAX_WAIT_S - 5));
        await().atMost(Duration.ofSeconds(15)).until(reader::closedByServer);

        // A client that closes whole: work that opens after it went is leased to nobody.
        connect("127.0.7.2").send(heldClaim()).close();
        await().atMost(Duration.ofSeconds(15)).until(() -> waiting() == 0);
        Identity proposer = Identity.generate();
        h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, Harness.SEED, Harness.DIRECTION,
                Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
        assertThat(h.units("LEASED").getUnitsCount()).as("only the baseline's lease").isEqualTo(1);
        assertThat(h.units("OPEN").getUnitsCount()).as("the experiment's unit waits for a real claimant").isEqualTo(1);
    }

    @Test
    void aRequestTrickledBehindAHeldClaimIsCutAtTheRequestDeadlineAndAnsweredAfterTheClaim() throws Exception {
        // The held claim keeps its connection from idling out; the bytes sent behind it, a byte a
        // second, are a request, which must come whole within the request deadline (3 s here). Its
        // 408 was written at once, ahead of the claim's answer: the client read it as the claim's.
        RawHttp raw = connect("127.0.6.1").send(heldClaim(8));
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
        long started = System.nanoTime();
        Thread trickle = new Thread(() -> {
            try {
                for (byte b : "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1)) {
                    raw.send(new byte[] {b});
                    Thread.sleep(800);
                }
            } catch (Exception e) {
                // cut off: what this test waits for
            }
        });
        trickle.setDaemon(true);
        trickle.start();
        List<Integer> answers = new ArrayList<>();
        try {
            while (true) {
                answers.add(raw.read().status());
            }
        } catch (java.io.IOException e) {
            // the server closed the connection
        }
        assertThat(answers).as("the claim's answer (it waited in vain), then the trickled request's 408")
                .containsExactly(200, 408);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(ClaimWaits.MAX_WAIT_S));
        await().atMost(Duration.ofSeconds(15)).until(() -> waiting() == 0);
    }
}
