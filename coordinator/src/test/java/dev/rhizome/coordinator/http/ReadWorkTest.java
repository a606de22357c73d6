package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The budget of CPU for reads (ReadWork): a client that keeps asking for expensive reads gets a
 * 429 with Retry-After once its address's budget is spent, while another network's client, its
 * own writes and, after the refill, itself are served again. The arithmetic on a clock held by
 * the test; the answers over a real server on loopback, with a route whose CPU is real work.
 */
class ReadWorkTest {
    private static final ReadWork.Budget ADDRESS = new ReadWork.Budget(100_000_000L, 10_000_000L);
    private static final ReadWork.Budget NETWORK = new ReadWork.Budget(200_000_000L, 20_000_000L);

    @Test
    void aSpentBudgetIsRefusedUntilItsRefillAndNamesWhenToComeBack() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        ReadWork work = new ReadWork(ADDRESS, NETWORK, now::get);
        assertThat(work.refusal("10.0.0.1")).as("a client never seen").isNull();
        work.spent("10.0.0.1", 100_000_000L);
        assertThat(work.refusal("10.0.0.1")).as("a bucket emptied exactly, not overdrawn").isNull();
        work.spent("10.0.0.1", 30_000_000L);
        ReadWork.Refusal refused = work.refusal("10.0.0.1");
        assertThat(refused).isNotNull();
        // 30 ms owed plus a tenth of the burst (10 ms), at 10 ms a second: 4 s
        assertThat(refused.retryAfterSeconds()).isEqualTo(4);
        assertThat(refused.message()).contains("this address's").contains("ask again in 4 s");
        assertThat(work.refusal("10.0.0.2")).as("a neighbour in the same /24, its network not spent").isNull();
        now.addAndGet(3_100_000_000L);  // 31 ms repaid
        assertThat(work.refusal("10.0.0.1")).as("the debt repaid").isNull();

        // many addresses of one network share its bucket
        for (int i = 10; i < 15; i++) {
            work.spent("10.0.0." + i, 45_000_000L);
        }
        assertThat(work.refusal("10.0.0.99")).as("a fresh address of a spent network").isNotNull()
                .extracting(ReadWork.Refusal::message).asString().contains("this network's");
        assertThat(work.refusal("10.0.1.1")).as("another network").isNull();

        // a long idle gap refills whole, without overflow
        now.addAndGet(Long.MAX_VALUE / 2);
        assertThat(work.refusal("10.0.0.99")).isNull();
        work.spent("10.0.0.99", Long.MAX_VALUE);
        work.spent("10.0.0.99", Long.MAX_VALUE);
        assertThat(work.refusal("10.0.0.99").retryAfterSeconds()).isPositive();
    }

    /**
     * Buckets of clients that have refilled are dropped, so the map does not grow with every address
     * ever seen; and many addresses in debt at once are kept without a walk per request.
     */
    @Test
    void refilledBucketsAreDroppedAndManyInDebtAreKept() {
        AtomicLong now = new AtomicLong(0);
        ReadWork work = new ReadWork(ADDRESS, NETWORK, now::get);
        for (int i = 0; i < 5000; i++) {
            work.spent("10." + (i / 250) + "." + (i % 250) + ".1", 1_000_000L);
        }
        assertThat(work.kept()).as("5,000 addresses of 5,000 networks, none refilled yet")
                .isGreaterThanOrEqualTo(8000);
        now.addAndGet(60_000_000_000L);  // a minute: everyone's millisecond is long repaid
        int before = work.kept();
        int added = 0;
        while (added < 10_000 && work.kept() >= before) {
            work.spent("11." + (added / 250) + "." + (added % 250) + ".1", 1);  // new clients, until a prune
            added++;
        }
        assertThat(work.kept()).as("the refilled buckets dropped at the next prune (had %d), the %d new ones in "
                + "debt kept, each an address and a network", before, added).isEqualTo(2 * added);
    }

    @Test
    void anExpensiveReaderGets429WithRetryAfterWhileOthersAndItsWritesAreServed() throws Exception {
        Router router = new Router()
                .get("/costly", r -> Reply.text("spent " + burn(30_000_000L)))
                .page("/healthz", r -> Reply.text("ok"))
                .post("/write", r -> Reply.text("written"));
        // 100 ms at once, 1 ms a second: a few costly reads spend it, and a debt of one read takes
        // some 30 s to repay (at 10 ms a second it was repaid in 3 s, less than the next requests
        // took at load 28 on 2 cores: the HEAD after them was served)
        ReadWork work = new ReadWork(new ReadWork.Budget(100_000_000L, 1_000_000L),
                new ReadWork.Budget(200_000_000L, 2_000_000L), System::nanoTime);
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router,
                new CoordinatorMetrics(), ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES),
                ByteShares.bodies(1 << 24, 1 << 20), TrustedProxies.NONE, work);
        String url = "http://127.0.0.1:" + server.port();
        try (RawHttp hog = new RawHttp(url, "127.0.0.1")) {
            RawHttp.Response refused = null;
            int served = 0;
            for (int i = 0; i < 40 && refused == null; i++) {
                RawHttp.Response r = hog.send("GET /costly HTTP/1.1\r\nHost: x\r\n\r\n").read();
                if (r.status() == 429) {
                    refused = r;
                } else {
                    assertThat(r.status()).isEqualTo(200);
                    served++;
                }
            }
            assertThat(refused).as("a 429 once 100 ms of CPU is spent (served %d)", served).isNotNull();
            assertThat(served).as("reads of 30 ms each: at least the budget's worth answered").isGreaterThanOrEqualTo(3);
            assertThat(refused.body()).contains("LIMIT_REACHED").contains("budget of time for reads (CPU and database time)");
            Matcher retry = Pattern.compile("(?im)^retry-after: (\\d+)\\r?$").matcher(refused.headers());
            assertThat(retry.find()).as("Retry-After in %s", refused.headers()).isTrue();
            assertThat(Long.parseLong(retry.group(1))).isBetween(1L, 60L);
            // the same connection stays open, and the cheap baseline is refused too: the budget is the address's
            assertThat(hog.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(429);
            // a write is not a read: its own limits apply, not this budget
            assertThat(hog.send("POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").read().status())
                    .isEqualTo(200);
            // HEAD is a read
            assertThat(hog.send("HEAD /costly HTTP/1.1\r\nHost: x\r\n\r\n").readHeadOnly().status()).isEqualTo(429);
        }
        try (RawHttp other = new RawHttp(url, "127.0.9.1")) {
            assertThat(other.send("GET /costly HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read().status())
                    .as("another network's reader").isEqualTo(200);
        } finally {
            server.close();
        }
    }

    /** Spins for about {@code nanos} of this thread's CPU; returns a value so the work is not elided. */
    private static long burn(long nanos) {
        long start = CpuClock.now();
        long x = 1;
        while (CpuClock.now() - start < nanos) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        return x;
    }
}
