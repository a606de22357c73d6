package dev.rhizome.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.node.api.CoordinatorClient.Recorder;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Claims as {@link CoordinatorClient} sends them, so that no lease is lost to an answer that never
 * came: each claim kept until answered (in memory, {@link UnansweredClaim}, and with a
 * {@link ClaimJournal} on disk for the next process) and sent again, as signed, by a later claim;
 * a claim cut by its caller's stop asked again briefly so that its answer is known.
 */
final class ClaimDelivery {
    /** What a claim that waits leaves of the client's timeout for the claim itself. */
    static final Duration CLAIM_ROOM = Duration.ofSeconds(5);
    private static final SecureRandom NONCES = new SecureRandom();

    private final CoordinatorHttp http;
    private final CoordinatorNetwork network;
    private final UnansweredClaim unanswered = new UnansweredClaim();
    /** Claims in flight on disk, for a node's restart to send again; null: in memory only. */
    private volatile ClaimJournal journal;

    ClaimDelivery(CoordinatorHttp http, CoordinatorNetwork network) {
        this.http = http;
        this.network = network;
    }

    /** {@link CoordinatorClient#claim(ClaimRequest, Recorder)}. */
    ClaimResponse claim(ClaimRequest request, Recorder recorder) throws CoordinatorException, IOException {
        request = withinTimeout(request);
        if (!request.getNonce().isEmpty()) {
            return http.post("/v1/claim", network.sign(request), ClaimResponse.parser(), held(request));
        }
        for (Optional<SignedEnvelope> again = unanswered.take(request, System.currentTimeMillis()); again.isPresent();
                again = unanswered.take(request, System.currentTimeMillis())) {
            try {
                return sendClaim(again.get(), recorder);
            } catch (CoordinatorException e) {
                if (e.status() == 0) {
                    throw e;
                }
            }
        }
        ClaimRequest fresh = request.toBuilder().setNonce(freshNonce()).build();
        SignedEnvelope first = network.sign(fresh);
        try {
            return sendClaim(first, recorder);
        } catch (CoordinatorException e) {
            // refused, so nothing was leased for it: the same claim signed for the new network
            // (a fresh nonce: the refused one is spent for nothing) is no second lease
            SignedEnvelope again = network.resignedForChangedNetwork(e, "POST /v1/claim", first,
                    fresh.toBuilder().setNonce(freshNonce()).build());
            if (again == null) {
                throw e;
            }
            return sendClaim(again, recorder);
        }
    }

    /**
     * Posts a signed claim; one that gets no answer is kept to be sent again, aged from its signing.
     * Its journal entry goes once the answer is recorded: a unit by {@code recorder}, anything else
     * at once.
     */
    private ClaimResponse sendClaim(SignedEnvelope signed, Recorder recorder) throws CoordinatorException, IOException {
        ClaimJournal kept = journal;
        if (kept != null) {
            kept.write(signed, System.currentTimeMillis());
        }
        ClaimResponse answer;
        try {
            answer = http.post("/v1/claim", signed, ClaimResponse.parser(), held(signedRequest(signed)));
        } catch (CoordinatorException e) {
            if (e.status() == 0) {
                boolean settled = kept != null && e.getCause() instanceof InterruptedException
                        && settleCutClaim(signed, recorder, kept);
                if (!settled) {
                    unanswered.keep(signedRequest(signed), signed, System.currentTimeMillis());
                }
            } else if (kept != null) {
                kept.answered(signed);
            }
            throw e;
        }
        if (answer.hasUnit()) {
            CrashPoints.at(CrashPoints.CLAIM_ANSWERED);
            recordThroughAStop(recorder, answer.getUnit());
        }
        if (kept != null) {
            kept.answered(signed);
        }
        return answer;
    }

    /**
     * Records a unit the coordinator leased even where a stop interrupts the thread as its answer
     * comes: an interrupted thread's file channel closes on its write, so the unit was recorded
     * nowhere and its claim stayed in the journal, leased to this node until its next start (a stop
     * 40 ms after a job began, in CI). A stop interrupts a claiming thread once (WorkLoop.cutClaimsOnce):
     * the flag cleared, at most one write is cut, and the one after it is not.
     */
    static void recordThroughAStop(Recorder recorder, WorkUnit unit) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            recorder.record(unit);
        } catch (ClosedByInterruptException cut) {
            interrupted |= Thread.interrupted();
            recorder.record(unit);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A claim cut by its caller's interruption (a node's stop, most often while the coordinator held
     * the claim waiting for work): sent again, as signed, briefly, so that its journal entry goes
     * when the answer is known: the coordinator lets go of the held claim and answers the same
     * claim with the unit it leased (recorded as any unit is) or with its nonce used for nothing (a
     * refusal). Kept only when that answer does not come: truly unknown, for the next start.
     *
     * <p>Sent twice when the first gets no answer in half the patience: a stop that cut the claim
     * before the coordinator held it (its bytes not yet there, or its first run not yet done) makes
     * the first copy the one held, for the claim's whole wait (20 s), and the stop ended without its
     * answer, leaving the claim in the journal (a stop right after a result, in CI). The second copy
     * finds the first held, which the coordinator lets go of, and is answered at once.
     */
    private boolean settleCutClaim(SignedEnvelope signed, Recorder recorder, ClaimJournal kept) {
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + CoordinatorClient.SETTLE_TIMEOUT.now().toNanos();
        try {
            for (int copy = 1; copy <= 2; copy++) {
                long left = deadline - System.nanoTime();
                Duration patience = Duration.ofNanos(copy == 1 ? left / 2 : left);
                if (patience.toMillis() <= 0) {
                    return false;
                }
                HttpResponse<byte[]> response;
                try {
                    response = http.postWithin("/v1/claim", signed, patience);
                } catch (TimeoutException e) {
                    continue;  // held, most likely: the next copy has the coordinator let go of it
                } catch (InterruptedException e) {
                    interrupted = true;
                    return false;  // unknown: the journal keeps it
                }
                return settled(response, signed, recorder, kept);
            }
            return false;
        } catch (IOException | ExecutionException | RuntimeException e) {
            return false;  // not recorded, or not read: the journal keeps it for the next start
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether a copy's answer settles the cut claim (its journal entry gone): a unit recorded, or none leased. */
    private static boolean settled(HttpResponse<byte[]> response, SignedEnvelope signed, Recorder recorder,
            ClaimJournal kept) throws IOException {
        int status = response.statusCode();
        if (status / 100 == 2) {
            ClaimResponse answer = ClaimResponse.parseFrom(response.body());
            if (answer.hasUnit()) {
                recordThroughAStop(recorder, answer.getUnit());
            }
            kept.answered(signed);
            return true;
        }
        Error refusal = status == 409 ? CoordinatorClient.coordinatorError(response.body()) : null;
        if (refusal != null && refusal.getCode() == Error.Code.CONFLICT) {
            kept.answered(signed);  // its nonce was used and leased nothing: nothing to send again
            return true;
        }
        return false;
    }

    /**
     * A claim's {@code wait_s} (docs/api.md "Claims that wait") shortened so that its answer still
     * comes within this client's timeout, with room for the claim itself; 0 where none is left.
     */
    private ClaimRequest withinTimeout(ClaimRequest request) {
        long room = Math.max(0, http.timeout().toSeconds() - CLAIM_ROOM.toSeconds());
        return request.getWaitS() <= room ? request : request.toBuilder().setWaitS((int) room).build();
    }

    /** How long the coordinator may hold this claim before its answer is due. */
    private static Duration held(ClaimRequest request) {
        return Duration.ofSeconds(request.getWaitS());
    }

    private static ClaimRequest signedRequest(SignedEnvelope signed) {
        try {
            return ClaimRequest.parseFrom(signed.getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a claim signed here does not parse", e);
        }
    }

    /** {@link CoordinatorClient#keepClaimsIn}. */
    void keepIn(Path dir, int slots) {
        unanswered.capacity(slots);
        ClaimJournal kept = new ClaimJournal(dir);
        for (ClaimJournal.Unanswered left : kept.takeLeftovers(slots)) {
            unanswered.keep(left.request(), left.signed(), left.writtenMs());
        }
        journal = kept;
    }

    /** {@link CoordinatorClient#keepClaimsOfThisProcessIn}: once per client; a second call changes nothing. */
    synchronized void keepOfThisProcessIn(Path dir) {
        if (journal != null) {
            return;
        }
        ClaimJournal kept = ClaimJournal.shared(dir);
        for (ClaimJournal.Unanswered left : kept.takeLeftovers(UnansweredClaim.DEFAULT_CAPACITY)) {
            unanswered.keep(left.request(), left.signed(), left.writtenMs());
        }
        journal = kept;
    }

    /** {@link CoordinatorClient#resendUnansweredUnlike}. */
    void resendUnansweredUnlike(ClaimRequest request, Recorder settle) {
        for (Optional<SignedEnvelope> again = unanswered.takeUnlike(request, System.currentTimeMillis());
                again.isPresent(); again = unanswered.takeUnlike(request, System.currentTimeMillis())) {
            try {
                sendClaim(again.get(), settle);
            } catch (CoordinatorException e) {
                if (e.status() == 0) {
                    break;  // kept again by sendClaim; the coordinator is away for the rest too
                }
                // refused: it leased nothing, or its unit is no longer this key's
            } catch (IOException e) {
                // not settled: left in the journal, to the next process of this key
            }
        }
    }

    static com.google.protobuf.ByteString freshNonce() {
        byte[] nonce = new byte[16];
        NONCES.nextBytes(nonce);
        return com.google.protobuf.ByteString.copyFrom(nonce);
    }
}
