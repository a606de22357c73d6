package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/nodes ranks the node table (each network's first node before any second) once and
 * shares the ranking: a burst of asks, from many threads at once, ranks once; the ranking is
 * rebuilt after a second, and at once when a key announces for the first time. Until round 30
 * every ask ranked the whole table, so a client asking in a loop had the coordinator sort it in
 * a loop. On SQLite and PostgreSQL.
 */
class SharedNodeRankingTest {
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    @TempDir
    Path dir;

    @Test
    void aBurstOfAsksRanksOnceOnSqlite() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            aBurstOfAsksRanksOnce(store);
        }
    }

    @Test
    void aBurstOfAsksRanksOnceOnPostgresql() throws Exception {
        try (TestPostgres pg = TestPostgres.create(); PostgresStore store = PostgresStore.open(pg.address(8))) {
            aBurstOfAsksRanksOnce(store);
        }
    }

    private void aBurstOfAsksRanksOnce(Store store) throws Exception {
        PeerDirectory directory = new PeerDirectory(store, clock, WriteQuotas.defaults(), nanos::get);
        List<ByteString> keys = new ArrayList<>();
        Identity known = Identity.generate();
        keys.add(announce(directory, known, "81.2.0.5"));
        for (int i = 1; i < 12; i++) {
            clock.advance(Duration.ofMillis(10));
            keys.add(announce(directory, Identity.generate(), "81.2." + (i % 3) + ".5"));
        }
        List<PeerEndpoint> first = directory.nodes().getPeersList();
        assertThat(first).extracting(PeerEndpoint::getNode).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(first.subList(0, 3)).as("each network's first node before any second")
                .extracting(p -> p.getHost()).doesNotHaveDuplicates();
        assertThat(directory.rankings()).isEqualTo(1);

        ExecutorService threads = Executors.newFixedThreadPool(16);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<PeerList>> asks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                asks.add(threads.submit(() -> {
                    go.await();
                    return directory.nodes();
                }));
            }
            go.countDown();
            for (Future<PeerList> ask : asks) {
                assertThat(ask.get().getPeersList()).isEqualTo(first);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(directory.rankings()).as("200 asks within the second, the first's ranking").isEqualTo(1);

        // a known node announcing again (every 10 s while it runs) does not rank again: anyone may
        // have it sent as often as it likes
        clock.advance(Duration.ofMillis(100));
        announce(directory, known, "81.2.0.5");
        assertThat(directory.nodes().getPeersList()).isEqualTo(first);
        assertThat(directory.rankings()).isEqualTo(1);

        // a key's first announcement is listed at once
        ByteString newcomer = announce(directory, Identity.generate(), "93.184.216.7");
        assertThat(directory.nodes().getPeersList()).extracting(PeerEndpoint::getNode).contains(newcomer);
        assertThat(directory.rankings()).isEqualTo(2);

        // a second later the ranking is rebuilt, on the process's clock or the directory's
        nanos.addAndGet(FreshCopy.MIN_AGE_NANOS);
        directory.nodes();
        assertThat(directory.rankings()).isEqualTo(3);
        clock.advance(Duration.ofMinutes(11));
        assertThat(directory.nodes().getPeersList()).as("every node past its freshness").isEmpty();
        assertThat(directory.rankings()).isEqualTo(4);
    }

    private ByteString announce(PeerDirectory directory, Identity node, String from) {
        directory.announce(Fixtures.signed(node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("node-" + from + ".example").setPort(7000).setHardwareClass("cpu:x86_64")
                .setTimeMs(clock.millis()).build(), NodeAnnouncement.getDefaultInstance()), from);
        return node.publicId().toByteString();
    }
}
