package dev.rhizome.ops.bench;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Iterator;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bench's untimed conversations, which sign as they go (their cost is not measured): the
 * registration of experiments, and the warm-up, which claims and reports like a node so that the
 * JIT compiles the coordinator's whole path before the timed phase. A warm-up client moves to a
 * fresh key before its key reaches a fresh key's daily lease quota.
 */
final class LiveConversations {
    private static final SecureRandom NONCES = new SecureRandom();
    /** Leases a warm-up key takes before the client moves to a fresh key (under the daily quota). */
    static final int LEASES_PER_KEY = Reputation.INITIAL_QUOTA - 10;

    private LiveConversations() {
    }

    /** Registers experiments, one request at a time, taking them from a shared iterator. */
    static ClosedLoopClients.Conversation register(ClosedLoopClients http, Function<Experiment, Identity> proposer,
            Iterator<Experiment> experiments) {
        return new ClosedLoopClients.Conversation() {
            @Override
            public FullHttpRequest first() {
                return nextRequest();
            }

            @Override
            public FullHttpRequest next(FullHttpResponse response, double ms) throws IOException {
                expectOk(response, "experiment registration");
                return nextRequest();
            }

            private FullHttpRequest nextRequest() {
                Experiment next;
                synchronized (experiments) {
                    next = experiments.hasNext() ? experiments.next() : null;
                }
                return next == null ? null
                        : http.post("/v1/experiments", Envelopes.sign(proposer.apply(next), http.network(), next).toByteArray());
            }
        };
    }

    /** Claims and reports until the queue is empty; {@code done} counts the results. */
    static ClosedLoopClients.Conversation warmUp(ClosedLoopClients http, String metricName, AtomicInteger done) {
        return new ClosedLoopClients.Conversation() {
            private Identity identity = Identity.generate();
            private int leases;
            private boolean awaitingClaim;

            @Override
            public FullHttpRequest first() {
                return claim();
            }

            private FullHttpRequest claim() {
                if (leases++ == LEASES_PER_KEY) {
                    identity = Identity.generate();
                    leases = 1;
                }
                awaitingClaim = true;
                byte[] nonce = new byte[16];
                NONCES.nextBytes(nonce);
                ClaimRequest claim = ClaimRequest.newBuilder().setNode(identity.publicId().toByteString())
                        .setHardwareClass("cpu:bench").addKinds(WorkUnit.Kind.EVALUATE)
                        .setTimeMs(System.currentTimeMillis()).setNonce(ByteString.copyFrom(nonce)).build();
                return http.post("/v1/claim", Envelopes.sign(identity, http.network(), claim).toByteArray());
            }

            @Override
            public FullHttpRequest next(FullHttpResponse response, double ms) throws IOException {
                if (!awaitingClaim) {
                    expectOk(response, "warm-up result");
                    done.incrementAndGet();
                    return claim();
                }
                expectOk(response, "warm-up claim");
                ClaimResponse claimed = ClaimResponse.parseFrom(ByteBufUtil.getBytes(response.content()));
                if (!claimed.hasUnit()) {
                    return null;
                }
                awaitingClaim = false;
                return http.post("/v1/results", Envelopes.sign(identity, http.network(),
                        PresignedNode.result(claimed.getUnit(), identity, metricName, System.currentTimeMillis()))
                        .toByteArray());
            }
        };
    }

    static void expectOk(FullHttpResponse response, String what) throws IOException {
        if (response.status().code() != 200) {
            throw new IOException(what + " answered " + response.status() + ": "
                    + response.content().toString(StandardCharsets.UTF_8));
        }
    }
}
