package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerProtocol;
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
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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

    /**
     * A progress step that throws every time (our defect, for good): each fetch is ended as a lost
     * connection when its first progress is told, and the commit is asked again within the
     * planner's retry rule (each holder at most three times, later each time), then given up: the
     * caller is answered, the commit is not held, and neither honest holder pays for our step.
     */
    @Test
    void aProgressStepThatAlwaysThrowsIsAskedAgainWithinTheRetryRuleThenGivenUp() throws Exception {
        Pieces pieces = twoHonestHolders();
        Identity victimId = Identity.generate();
        AtomicInteger threw = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        AtomicReference<GossipCore> real = new AtomicReference<>();
        logged.watch();
        long began = System.nanoTime();
        LoopbackNet.Started victim = net.startWith(tmp.resolve("victim"), victimId, self -> {
            real.set(new GossipCore(victimId, self, GossipConfig.defaults(), new SecureRandom(), SignatureCheck.envelopes(),
                    Wants.everything()));
            return alwaysThrowingProgress(real.get(), pieces.commit, threw, started);
        }, null, List::of);

        CompletableFuture<FetchResult> future = victim.gossip().fetch(pieces.commit, pieces.holders);
        GossipServiceTest.await(future::isDone, Duration.ofSeconds(120));

        assertThat(future).as("the caller, answered with the commit given up").isCompletedExceptionally();
        assertThat(victim.repo().has(pieces.commit)).isFalse();
        assertThat(started.get()).as("fetches of the commit started: asked again after each ended one")
                .isGreaterThanOrEqualTo(2)
                // FetchPlanner.MAX_ATTEMPTS (3) for each of the two holders
                .isLessThanOrEqualTo(2 * 3);
        assertThat(threw.get()).as("the step threw for each fetch started").isGreaterThanOrEqualTo(started.get());
        for (PeerEndpoint holder : pieces.holders) {
            PublicId id = PublicId.of(holder.getNode());
            assertThat((double) LoopbackNet.<Double>ask(victim.gossip(), p -> real.get().score(id)))
                    .as("holder %s's score: our step failed, not its transfer", id.shortForm()).isZero();
            assertThat(victim.bans(id)).isFalse();
        }
        assertThat(started.get()).as("nothing asked once the commit was given up")
                .isEqualTo(LoopbackNet.<Integer>ask(victim.gossip(), p -> started.get()));
        logged.assertWarningsWithinBudget(began);
    }

    /** {@code core}, whose progress step for {@code commit} always throws; counting the fetches of it the core starts. */
    private static PeerProtocol alwaysThrowingProgress(GossipCore core, String commit, AtomicInteger threw, AtomicInteger started) {
        return (PeerProtocol) Proxy.newProxyInstance(PeerProtocol.class.getClassLoader(), new Class<?>[] {PeerProtocol.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("onFetchProgress") && args != null && Arrays.asList(args).contains(commit)) {
                        threw.incrementAndGet();
                        throw new IllegalStateException("a case the core did not expect");
                    }
                    Object out;
                    try {
                        out = method.invoke(core, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (out instanceof List<?> effects) {
                        effects.stream().filter(e -> e instanceof Effect.Fetch f && f.commit().equals(commit))
                                .forEach(e -> started.incrementAndGet());
                    }
                    return out;
                });
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
