package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bytes the server holds for clients, replies not yet read and bodies still arriving, are
 * shared by network and by address (ByteShares), over real sockets from loopback addresses (all
 * of 127/8 is loopback on Linux; 127.0.0.x and 127.0.9.x are two /24 networks). With one count for
 * everyone, one address that asked for large pages on several connections and read nothing (or a
 * byte now and then) held the whole reply budget, and a few addresses trickling bodies the whole
 * body budget: every other client's reads, or uploads, were 503 for as long as they kept it up.
 */
class BufferSharesTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private HttpServer server;
    private String url;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void clientsThatDoNotReadHoldOnlyTheirShareOfTheReplyBudgetAndOthersAreStillServed() throws Exception {
        // Larger than the kernel's socket buffers on loopback, so each reply stays in the server's own.
        byte[] big = new byte[16 << 20];
        Arrays.fill(big, (byte) 'x');
        Router router = new Router().get("/big", r -> Reply.bytes(big, "text/plain")).get("/small", r -> Reply.text("ok"));
        // 64 MiB in all: a network's share is 16 MiB, an address's 8 MiB (a reply may pass them once).
        ByteShares replies = ByteShares.replies(64L << 20);
        server = HttpServer.start("127.0.0.1", 0, 1 << 20,
                CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofMinutes(10)), router,
                new CoordinatorMetrics(), replies);
        url = "http://127.0.0.1:" + server.port();

        // One address asks for a large page on each of five connections and reads nothing: 80 MB, more
        // than the whole budget. It holds one reply; its other requests are refused, naming its share.
        nonReader("127.0.0.1");
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.held("127.0.0.1") > 0);
        for (int c = 0; c < 4; c++) {
            RawHttp again = connection("127.0.0.1");
            RawHttp.Response refused = again.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.body()).contains("your address").contains("its share of the replies waiting");
        }
        // Its neighbours share its network's share: the 16 MB it holds is all of it.
        RawHttp neighbour = connection("127.0.0.2");
        RawHttp.Response refused = neighbour.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n").read();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("your network").contains("16777216 bytes");
        // Another network is served, large pages included, while the non-reader still holds its reply.
        assertThat(connection("127.0.9.1").send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().body()).isEqualTo("ok");
        RawHttp other = connection("127.0.9.2");
        RawHttp.Response page = other.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n").read();
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).hasSize(big.length);
        assertThat(replies.held()).as("the non-reader's one reply, no more").isLessThanOrEqualTo(big.length);
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.held("127.0.9.2") == 0);
    }

    @Test
    void bodiesTrickledFromOneNetworkHoldOnlyItsShareOfTheBodyBudgetAndOthersStillUpload() throws Exception {
        Router router = new Router().post("/work", r -> Reply.text("done"));
        // 2 MiB in all for bodies of at most 256 KiB: a network's share is 512 KiB, an address's 256 KiB.
        int largest = 256 << 10;
        ByteShares bodies = ByteShares.bodies(2L << 20, largest);
        server = HttpServer.start("127.0.0.1", 0, largest, CoordinatorLimits.defaults(), router, new CoordinatorMetrics(),
                ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES), bodies, TrustedProxies.NONE);
        url = "http://127.0.0.1:" + server.port();
        String unfinished = "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 250000\r\n\r\n";

        // An address sends most of a body and stops; a second body of its own would pass its share.
        connection("127.0.0.1").send(unfinished).send(new byte[200_000]);
        await().atMost(Duration.ofSeconds(30)).until(() -> bodies.held("127.0.0.1") == 200_000);
        RawHttp second = connection("127.0.0.1").send(unfinished).send(new byte[200_000]);
        RawHttp.Response refused = second.read();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("your address").contains("its share of the request bodies");
        // A neighbour in its network does the same; a third address would pass the network's share.
        connection("127.0.0.2").send(unfinished).send(new byte[200_000]);
        await().atMost(Duration.ofSeconds(30)).until(() -> bodies.held("127.0.0.2") == 200_000);
        refused = connection("127.0.0.3").send(unfinished).send(new byte[200_000]).read();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("your network").contains("524288 bytes");
        assertThat(bodies.held()).isEqualTo(2 * 200_000);
        // Another network uploads while they hold theirs.
        RawHttp.Response done = connection("127.0.9.1").send(RawHttp.bytes("POST", "/work", null, new byte[200_000])).read();
        assertThat(done.status()).isEqualTo(200);
        assertThat(done.body()).isEqualTo("done");
        // A trickler that goes gives its bytes back.
        open.remove(0).close();
        await().atMost(Duration.ofSeconds(30)).until(() -> bodies.held("127.0.0.1") == 0);
    }

    @Test
    void aNonReaderBehindANatHoldsItsAddressesShareOnlyUntilANeighbourAsksAndHealthzIsAlwaysAnswered()
            throws Exception {
        byte[] big = new byte[16 << 20];
        Arrays.fill(big, (byte) 'a');
        Router router = new Router().get("/big", r -> Reply.bytes(big, "text/plain")).get("/small", r -> Reply.text("ok"))
                .probe("/healthz", r -> Reply.text("ok"));
        ByteShares replies = ByteShares.replies(64L << 20);
        // WriteStall would close the non-readers after 60 s; a neighbour may have them let go after 6 s.
        server = HttpServer.start("127.0.0.1", 0, 1 << 20,
                CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofSeconds(60)), router,
                new CoordinatorMetrics(), replies);
        url = "http://127.0.0.1:" + server.port();
        long began = System.nanoTime();
        // Behind one address (a NAT), a client asks for large pages on two connections and reads nothing.
        nonReader("127.0.0.1");
        nonReader("127.0.0.1");
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.held("127.0.0.1") >= big.length);

        // A load balancer's probe from that address is answered whatever its share holds.
        for (int i = 0; i < 3; i++) {
            RawHttp probe = connection("127.0.0.1");
            assertThat(probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            assertThat(probe.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n").readHeadOnly().status()).isEqualTo(200);
        }
        // A neighbour behind the same address is told to come back in a second while the holder is
        // new, and is served once the longest holder has held its share for the grace: it is let go.
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).until(() -> {
            RawHttp.Response r = connection("127.0.0.1").send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read();
            if (r.status() == 503) {
                assertThat(r.headers()).containsIgnoringCase("retry-after: 1");
                return false;
            }
            return r.status() == 200 && r.body().equals("ok");
        });
        // So is a neighbour's large page, the other holder let go for it.
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).until(() -> {
            RawHttp.Response r = connection("127.0.0.1").send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n").read();
            return r.status() == 200 && r.body().length() == big.length;
        });
        assertThat(Duration.ofNanos(System.nanoTime() - began)).as("before WriteStall would have closed them")
                .isLessThan(Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.held() == 0);
    }

    private RawHttp connection(String from) throws Exception {
        RawHttp raw = new RawHttp(url, from);
        open.add(raw);
        return raw;
    }

    /** A connection from {@code from} that asks for the large page and never reads a byte. */
    private void nonReader(String from) throws Exception {
        Socket socket = new Socket();
        open.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
}
