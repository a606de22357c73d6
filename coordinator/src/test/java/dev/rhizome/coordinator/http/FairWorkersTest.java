package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker pool's share per network and per address, with real threads: one address's slow
 * requests can't take every worker or the whole queue, nor can one network's (an IPv4 /24, an IPv6
 * /48) spread over as many addresses as it holds.
 */
class FairWorkersTest {
    private final InetAddress hog = address("127.0.0.2");
    private final InetAddress other = address("127.0.0.3");
    private final CountDownLatch release = new CountDownLatch(1);
    private FairWorkers workers;

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        workers.shutdown();
        assertThat(workers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    private Runnable slow(AtomicInteger started) {
        return () -> {
            started.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    void anAddressThatFillsItsShareLeavesWorkersAndQueueForOthers() {
        workers = new FairWorkers(4, 100, 2, 10, "test-worker");
        AtomicInteger hogStarted = new AtomicInteger();
        for (int i = 0; i < 2; i++) {
            workers.execute(hog, slow(hogStarted));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> hogStarted.get() == 2);
        for (int i = 0; i < 10; i++) {
            workers.execute(hog, slow(hogStarted));  // queued: it runs on 2 workers at most
        }
        assertThatThrownBy(() -> workers.execute(hog, () -> { }))
                .as("its own queue is full").isInstanceOf(RejectedExecutionException.class);

        CountDownLatch otherRan = new CountDownLatch(1);
        workers.execute(other, otherRan::countDown);
        await().atMost(Duration.ofSeconds(30)).until(() -> otherRan.getCount() == 0);
        assertThat(hogStarted.get()).as("the hog is still held at its share").isEqualTo(2);
    }

    @Test
    void theAddressesOfOneIpv6Slash64ShareOneShareAndAnotherSlash64HasItsOwn() {
        workers = new FairWorkers(4, 100, 2, 10, "test-worker");
        AtomicInteger hogStarted = new AtomicInteger();
        // one host, each request from another address of its /64: still one client
        for (int i = 1; i <= 2; i++) {
            workers.execute(address("2001:db8:1:2::" + Integer.toHexString(i)), slow(hogStarted));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> hogStarted.get() == 2);
        for (int i = 3; i <= 12; i++) {
            workers.execute(address("2001:db8:1:2::" + Integer.toHexString(i)), slow(hogStarted));  // queued
        }
        assertThatThrownBy(() -> workers.execute(address("2001:db8:1:2:ffff:ffff:ffff:ffff"), () -> { }))
                .as("the /64's queue is full").isInstanceOf(RejectedExecutionException.class);

        CountDownLatch otherRan = new CountDownLatch(1);
        workers.execute(address("2001:db8:1:3::1"), otherRan::countDown);
        await().atMost(Duration.ofSeconds(30)).until(() -> otherRan.getCount() == 0);
        assertThat(hogStarted.get()).as("the /64 is held at one share").isEqualTo(2);
    }

    @Test
    void freeWorkersTakeAddressesInTurnAndEachAddressInOrder() throws InterruptedException {
        workers = new FairWorkers(1, 100, 1, 100, "test-worker");
        CountDownLatch first = new CountDownLatch(1);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        workers.execute(hog, () -> {
            try {
                first.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 3; i++) {
            int n = i;
            workers.execute(hog, () -> ran.add("hog" + n));
        }
        for (int i = 0; i < 3; i++) {
            int n = i;
            workers.execute(other, () -> ran.add("other" + n));
        }
        first.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> ran.size() == 6);
        assertThat(ran).containsExactly("other0", "hog0", "other1", "hog1", "other2", "hog2");
    }

    @Test
    void theWholeQueueIsBoundedAndShutdownRunsWhatWasQueued() throws InterruptedException {
        workers = new FairWorkers(1, 3, 1, 3, "test-worker");
        AtomicInteger started = new AtomicInteger();
        workers.execute(hog, slow(started));
        await().atMost(Duration.ofSeconds(30)).until(() -> started.get() == 1);
        AtomicInteger ran = new AtomicInteger();
        workers.execute(other, ran::incrementAndGet);
        workers.execute(address("127.0.0.4"), ran::incrementAndGet);
        workers.execute(address("127.0.0.5"), ran::incrementAndGet);
        assertThatThrownBy(() -> workers.execute(address("127.0.0.6"), ran::incrementAndGet))
                .isInstanceOf(RejectedExecutionException.class);
        workers.shutdown();
        assertThatThrownBy(() -> workers.execute(other, ran::incrementAndGet))
                .isInstanceOf(RejectedExecutionException.class);
        release.countDown();
        assertThat(workers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ran.get()).isEqualTo(3);
    }

    @Test
    void theSlash64sOfOneSlash48ShareOneNetworksShareAndAnotherSlash48HasItsOwn() {
        workers = new FairWorkers(8, 100, new FairWorkers.Share(2, 5), new FairWorkers.Share(3, 8), "test-worker");
        AtomicInteger hogStarted = new AtomicInteger();
        for (int subnet = 0; subnet < 3; subnet++) {  // each request from another /64 of the same /48
            workers.execute(address("2001:db8:1:" + Integer.toHexString(subnet) + "::1"), slow(hogStarted));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> hogStarted.get() == 3);
        int accepted = 3;
        for (int subnet = 3; subnet < 100; subnet++) {
            try {
                workers.execute(address("2001:db8:1:" + Integer.toHexString(subnet) + "::1"), slow(hogStarted));
                accepted++;
            } catch (RejectedExecutionException e) {
                // the /48's queue is full
            }
        }
        assertThat(accepted).as("the /48 runs 3 and queues 8, however many /64s it sends from").isEqualTo(11);

        CountDownLatch otherRan = new CountDownLatch(1);
        workers.execute(address("2001:db8:2::1"), otherRan::countDown);
        await().atMost(Duration.ofSeconds(30)).until(() -> otherRan.getCount() == 0);
        assertThat(hogStarted.get()).as("the /48 is held at its network's share, with workers idle").isEqualTo(3);
    }

    @Test
    void anAddressLeavesItsNeighboursTheRestOfTheirNetworksShare() {
        workers = new FairWorkers(8, 100, new FairWorkers.Share(2, 3), new FairWorkers.Share(3, 8), "test-worker");
        AtomicInteger hogStarted = new AtomicInteger();
        for (int i = 0; i < 2; i++) {
            workers.execute(address("192.0.2.1"), slow(hogStarted));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> hogStarted.get() == 2);
        for (int i = 0; i < 3; i++) {
            workers.execute(address("192.0.2.1"), slow(hogStarted));  // queued: it runs on 2 workers at most
        }
        assertThatThrownBy(() -> workers.execute(address("192.0.2.1"), () -> { }))
                .as("its own queue is full").isInstanceOf(RejectedExecutionException.class);

        CountDownLatch neighbourRan = new CountDownLatch(1);
        workers.execute(address("192.0.2.2"), neighbourRan::countDown);
        await().atMost(Duration.ofSeconds(30)).until(() -> neighbourRan.getCount() == 0);
        assertThat(hogStarted.get()).isEqualTo(2);
    }

    @Test
    void freeWorkersTakeNetworksInTurnAndTheirAddressesInTurn() throws InterruptedException {
        workers = new FairWorkers(1, 100, new FairWorkers.Share(1, 100), new FairWorkers.Share(1, 100), "test-worker");
        CountDownLatch first = new CountDownLatch(1);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        InetAddress a1 = address("192.0.2.1");
        InetAddress a2 = address("192.0.2.2");
        InetAddress b1 = address("198.51.100.1");
        workers.execute(a1, () -> {
            try {
                first.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 2; i++) {
            int n = i;
            workers.execute(a1, () -> ran.add("a1-" + n));
            workers.execute(a2, () -> ran.add("a2-" + n));
            workers.execute(b1, () -> ran.add("b1-" + n));
        }
        first.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> ran.size() == 6);
        // the other network gets every other turn although the first sends from two addresses
        assertThat(ran).containsExactly("b1-0", "a2-0", "b1-1", "a1-0", "a2-1", "a1-1");
    }
}
