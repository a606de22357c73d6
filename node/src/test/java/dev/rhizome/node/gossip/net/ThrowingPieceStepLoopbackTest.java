package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The steps a fetch in pieces takes while it goes on (its progress, a verdict on one of its
 * holders: at fault, or busy), each made to throw once by the real core behind a proxy. The fetch
 * is ended as a lost connection, its pieces' connections cancelled, the core told, and the work
 * loop's caller answered. Before, each throw was only logged ("gossip core step failed", naming
 * nothing) and the fetch went on in a core whose view of it the step had left half-made.
 */
class ThrowingPieceStepLoopbackTest extends LoopbackTest {
    final NodeLog logged = new NodeLog();

    @AfterEach
    void detach() {
        logged.close();
    }

    @Test
    void aProgressStepThatThrowsEndsTheFetchAndItsCallerIsAnswered() throws Exception {
        Pieces pieces = twoHonestHolders();
        Fetched fetched = fetchWithAThrowIn("onFetchProgress", pieces.commit, pieces.holders);
        fetched.assertEndedAndAnswered(pieces.commit, pieces.first);
    }

    @Test
    void aVerdictOnAHolderAtFaultThatThrowsEndsTheFetchAndItsCallerIsAnswered() throws Exception {
        Pieces pieces = oneHonestHolderBeside(ErrorHolder.notFound());
        Fetched fetched = fetchWithAThrowIn("onHolderFault", pieces.commit, pieces.holders);
        fetched.assertEndedAndAnswered(pieces.commit, pieces.first);
    }

    @Test
    void aVerdictOnABusyHolderThatThrowsEndsTheFetchAndItsCallerIsAnswered() throws Exception {
        Pieces pieces = oneHonestHolderBeside(ErrorHolder.busy());
        Fetched fetched = fetchWithAThrowIn("onHolderBusy", pieces.commit, pieces.holders);
        fetched.assertEndedAndAnswered(pieces.commit, pieces.first);
    }

    /** A commit of four 1 MiB pieces and the holders it is asked of, the first an honest node that holds it. */
    private record Pieces(String commit, PublicId first, List<PeerEndpoint> holders) {
    }

    private Pieces twoHonestHolders() throws Exception {
        LoopbackNet.Started a = net.start(tmp.resolve("a"), Identity.generate(), Wants.everything(), null, false);
        LoopbackNet.Started b = net.start(tmp.resolve("b"), Identity.generate(), Wants.everything(), null, false);
        String commit = weights(a);
        assertThat(weights(b)).as("the same files make the same commit").isEqualTo(commit);
        return new Pieces(commit, a.id(), List.of(endpoint(a.id(), a.gossip().port()), endpoint(b.id(), b.gossip().port())));
    }

    private Pieces oneHonestHolderBeside(SocketRogue rogue) throws Exception {
        net.open.add(rogue);
        LoopbackNet.Started a = net.start(tmp.resolve("a"), Identity.generate(), Wants.everything(), null, false);
        String commit = weights(a);
        return new Pieces(commit, a.id(), List.of(endpoint(a.id(), a.gossip().port()),
                endpoint(rogue.identity.publicId(), rogue.info().getPort())));
    }

    private static String weights(LoopbackNet.Started holder) throws Exception {
        byte[] noise = new byte[(int) (3.5 * (1 << 20))];  // incompressible: four 1 MiB pieces
        new Random(30).nextBytes(noise);
        String commit = holder.repo().commitFiles(null, Map.of("weights.bin", noise), "weights", GossipServiceTest.AUTHOR);
        holder.gossip().onLocalCommit(commit);
        return commit;
    }

    private static PeerEndpoint endpoint(PublicId node, int port) {
        return PeerEndpoint.newBuilder().setNode(node.toByteString()).setHost("127.0.0.1").setPort(port).build();
    }

    private record Fetched(LoopbackNet.Started victim, GossipCore core, AtomicBoolean threw,
                           CompletableFuture<FetchResult> future, List<ch.qos.logback.classic.spi.ILoggingEvent> lines) {
        void assertEndedAndAnswered(String commit, PublicId first) {
            assertThat(threw).as("the step threw").isTrue();
            assertThat(future).as("the caller's fetch, answered").isDone();
            assertThat(lines()).as("the throw is logged at ERROR naming the commit, and the fetch ended")
                    .anyMatch(e -> e.getLevel() == Level.ERROR && e.getFormattedMessage().contains(commit)
                            && e.getFormattedMessage().contains("the fetch is ended"));
            // The core is not left with a fetch nobody finishes: it comes to hold the commit.
            GossipServiceTest.await(() -> LoopbackNet.ask(victim.gossip(), p -> core.holds(commit)), Duration.ofSeconds(60));
            assertThat((double) LoopbackNet.<Double>ask(victim.gossip(), p -> core.score(first)))
                    .as("the honest holder's score: our step failed, not its transfer").isZero();
        }
    }

    private Fetched fetchWithAThrowIn(String step, String commit, List<PeerEndpoint> holders) throws Exception {
        Identity victimId = Identity.generate();
        AtomicBoolean threw = new AtomicBoolean();
        AtomicReference<GossipCore> real = new AtomicReference<>();
        logged.watch();
        long started = System.nanoTime();
        LoopbackNet.Started victim = net.startWith(tmp.resolve("victim"), victimId, self -> {
            real.set(new GossipCore(victimId, self, GossipConfig.defaults(), new SecureRandom(), SignatureCheck.envelopes(),
                    Wants.everything()));
            return ThrowingCoreStepLoopbackTest.failingOnce(real.get(), step, commit, threw);
        }, null, List::of);

        CompletableFuture<FetchResult> future = victim.gossip().fetch(commit, holders);
        GossipServiceTest.await(() -> future.isDone() && threw.get(), Duration.ofSeconds(90));
        GossipServiceTest.await(() -> logged.lines().stream().anyMatch(e -> e.getFormattedMessage().contains("the fetch is ended")),
                Duration.ofSeconds(30));
        logged.assertWarningsWithinBudget(started);
        return new Fetched(victim, real.get(), threw, future, logged.lines());
    }

    /**
     * Links and says nothing, and answers every bundle request with one error: NOT_FOUND makes it a
     * holder at fault (it was named as one), not a decline; UNAVAILABLE with a hint, a busy one.
     */
    private static final class ErrorHolder extends SocketRogue {
        private final Error answer;

        ErrorHolder(String name, Error answer) throws IOException {
            super(name);
            this.answer = answer;
        }

        static ErrorHolder notFound() throws IOException {
            return new ErrorHolder("not-found-holder", Error.newBuilder().setCode(Error.Code.NOT_FOUND)
                    .setMessage("no such commit").build());
        }

        static ErrorHolder busy() throws IOException {
            return new ErrorHolder("busy-holder", Error.newBuilder().setCode(Error.Code.UNAVAILABLE)
                    .setMessage("busy").setRetryAfterMs(5_000).build());
        }

        @Override
        void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
            while (read(in) != null) {
                // links, says nothing
            }
        }

        @Override
        void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) throws IOException {
            write(out, PeerMessage.newBuilder().setError(answer).build());
        }
    }
}
