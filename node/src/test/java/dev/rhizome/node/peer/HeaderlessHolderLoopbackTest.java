package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A holder that proves its key and then sends anything but its header, often enough that the idle
 * timeout never fires: a newer version's kind of frame (skipped, as forward compatibility asks) every
 * half second, or its header a byte every half second. No byte counted as progress before the header,
 * so either held the fetch, and on the work path the slot's unit, for as long as the holder liked. The
 * header is now due within {@link FetchHandler#HEADER_PERIODS} idle periods of the connection. Real
 * sockets on loopback (rogues written from the schemas), a real Netty fetcher; bounds are ten periods, for load.
 */
class HeaderlessHolderLoopbackTest {
    private static final long PERIOD_MS = TestNode.CONFIG.idleTimeout().toMillis();
    /** One field (number 100) of length-delimited bytes: a kind a newer version added to PeerMessage.body. */
    private static final byte[] NEWER_KIND = {(byte) 0xa2, 0x06, 0x00};

    @TempDir
    Path tmp;

    @Test
    void aHolderSendingNewerKindsOrItsHeaderByteByByteIsCutWithinTheHeaderBound() throws Exception {
        String commit = "ab".repeat(20);
        byte[] header = PeerMessage.newBuilder().setBundleHeader(BundleHeader.newBuilder().setCommit(commit).setSize(1 << 20)
                .setSha256(ByteString.copyFrom(new byte[32]))).build().toByteArray();
        try (TestNode bob = new TestNode(tmp.resolve("bob"));
             Rogue newerKinds = new Rogue(out -> {
                 while (true) {
                     RawWire.writeFrame(out, NEWER_KIND);
                     pause();
                 }
             });
             Rogue byteByByte = new Rogue(out -> {
                 out.write(new byte[] {0, 0, 0, (byte) header.length});
                 for (byte b : header) {
                     out.write(b);
                     out.flush();
                     pause();
                 }
             })) {
            for (Rogue rogue : List.of(newerKinds, byteByByte)) {
                long started = System.nanoTime();
                CompletableFuture<FetchResult> fetch = CompletableFuture.supplyAsync(() -> {
                    try {
                        return bob.fetcher.fetch(commit, List.of(rogue.endpoint()), TransferProgress.NONE);
                    } catch (FetchException | InterruptedException e) {
                        throw new CompletionException(e);
                    }
                });
                await().atMost(Duration.ofMillis(10 * PERIOD_MS)).until(fetch::isDone);
                Throwable failed = fetch.handle((result, e) -> e).join();
                assertThat(failed).as("the fetch from a holder that never sent its header").isNotNull();
                assertThat(failed.getCause()).isInstanceOf(FetchException.class).hasMessageContaining("no bundle header within");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(
                        Duration.ofMillis((FetchHandler.HEADER_PERIODS - 1) * PERIOD_MS));
            }
            assertThat(bob.repo.has(commit)).isFalse();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);  // the rogue's pace, not a wait of the test's
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    interface Sends {
        void send(OutputStream out) throws IOException;
    }

    /** Proves its key to each fetcher, reads its request, then {@link Sends sends} what it likes. */
    private static final class Rogue implements AutoCloseable {
        private final Identity identity = Identity.generate();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool();

        Rogue(Sends after) throws IOException {
            threads.execute(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        threads.execute(() -> {
                            try (s) {
                                PeerMessage hello = RawWire.read(s.getInputStream());
                                RawWire.answerFetch(hello, s.getInputStream(), s.getOutputStream(), identity);
                                RawWire.read(s.getInputStream());  // the request
                                after.send(s.getOutputStream());
                            } catch (IOException | RuntimeException gone) {
                                // the fetcher hung up, or the test is over
                            }
                        });
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        PeerEndpoint endpoint() {
            return PeerEndpoint.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(socket.getLocalPort()).build();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            threads.shutdownNow();
        }
    }
}
