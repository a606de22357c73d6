package dev.rhizome.node.api;

import com.google.protobuf.Message;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.URI;

/**
 * The network a coordinator serves, as {@link CoordinatorClient} signs for it: its id read once
 * and kept (in memory, or in a {@link KnownNetwork} file), read again after a {@code WRONG_NETWORK}
 * refusal, and checked against the kept one at each answer. Where the caller opted in
 * ({@link CoordinatorClient#resignOnceWhenNetworkChanges}), a refused record is signed again for
 * the network the coordinator has moved to.
 */
final class CoordinatorNetwork {
    /** How the coordinator is asked for its network id ({@code GET /v1/stats}). */
    @FunctionalInterface
    interface Stats {
        CoordinatorStats read() throws CoordinatorException;
    }

    private final URI base;
    private final Identity identity;
    private final Stats stats;
    /** The coordinator's network id once read ({@link #id()}); null until then. */
    private volatile String network;
    /** Where the network id is kept between processes ({@link #keepIn}); null: in memory only. */
    private volatile KnownNetwork known;
    /** Set by a {@code WRONG_NETWORK} refusal: the next {@link #id()} asks the coordinator, not the file. */
    private volatile boolean askAgain;
    /** Told of a record sent again for the network the coordinator now serves; null: such a refusal is the caller's. */
    private volatile CoordinatorClient.NetworkChange networkChange;

    CoordinatorNetwork(URI base, Identity identity, Stats stats) {
        this.base = base;
        this.identity = identity;
        this.stats = stats;
    }

    void keepIn(KnownNetwork kept) {
        this.known = kept;
    }

    void resignOnceWhenItChanges(CoordinatorClient.NetworkChange said) {
        this.networkChange = said;
    }

    /**
     * The network this coordinator serves ({@code network_id} of {@code GET /v1/stats}), read on
     * first use and kept: every record signed here names it, so that a record captured here is
     * refused by any other network's coordinator. Read again after a refusal that says the
     * network is another (the coordinator's store was replaced).
     */
    String id() throws CoordinatorException {
        String known = network;
        if (known != null) {
            return known;
        }
        KnownNetwork kept = this.known;
        if (kept != null && !askAgain) {
            try {
                known = kept.read();
            } catch (IOException e) {
                throw new CoordinatorException(200, Error.Code.INTERNAL, e.getMessage());
            }
            if (known != null) {
                network = known;
                return known;
            }
        }
        return asAnswered();
    }

    /**
     * Asks the coordinator for its network id ({@code GET /v1/stats}) and checks it against the one
     * kept ({@link #keepIn}), keeping it when none is. A node asks at each ask for entry
     * points, so that a coordinator started on another store is noticed and said, not followed.
     */
    String asAnswered() throws CoordinatorException {
        String id = stats.read().getNetworkId();
        if (id.isEmpty()) {
            throw new CoordinatorException(200, Error.Code.UNSUPPORTED, "the coordinator at " + base
                    + " names no network (GET /v1/stats has no network_id): it predates records signed for"
                    + " a network; upgrade it");
        }
        try {
            Envelopes.checkNetwork(id);
        } catch (IllegalArgumentException e) {
            throw new CoordinatorException(200, Error.Code.INTERNAL, "the coordinator at " + base
                    + " serves an unusable network id: " + e.getMessage());
        }
        KnownNetwork kept = this.known;
        if (kept != null) {
            try {
                kept.check(base, id);
            } catch (KnownNetwork.Mismatch e) {
                network = e.kept();  // not followed: what is signed here stays the kept network's
                throw new CoordinatorException(200, Error.Code.WRONG_NETWORK, e.getMessage());
            } catch (IOException e) {
                throw new CoordinatorException(200, Error.Code.INTERNAL, "cannot keep the coordinator's network id in "
                        + kept.file() + ": " + e.getMessage());
            }
        }
        askAgain = false;
        network = id;
        return id;
    }

    /**
     * A {@code WRONG_NETWORK} refusal came: the id is read again for the next record, from the
     * coordinator, not the file (the store may have been replaced). With a kept id it is asked now,
     * so that a coordinator now serving another network than the one kept is said as such (what to
     * do included), not as a refused record.
     */
    void refused() throws CoordinatorException {
        network = null;
        askAgain = true;
        if (known != null) {
            asAnswered();
        }
    }

    /** {@code record} signed with the client's key for the coordinator's network. */
    SignedEnvelope sign(Message record) throws CoordinatorException {
        return Envelopes.sign(identity, id(), record);
    }

    /**
     * {@code record} signed for the network the coordinator answers now, when {@code refusal} is a
     * {@code WRONG_NETWORK} refusal of {@code first} and that network is another than
     * {@code first}'s; null otherwise (the refusal stands: not opted in, another refusal, or the
     * coordinator still answers the network {@code first} was signed for).
     */
    SignedEnvelope resignedForChangedNetwork(CoordinatorException refusal, String call, SignedEnvelope first,
            Message record) throws CoordinatorException {
        CoordinatorClient.NetworkChange said = networkChange;
        if (said == null || refusal.status() == 0 || refusal.code() != Error.Code.WRONG_NETWORK) {
            return null;
        }
        // asked of the coordinator, not read from the file: send() dropped the id it held
        // (and, with a kept file, asked already and followed the answer)
        String now = id();
        if (now.equals(first.getNetwork())) {
            return null;
        }
        said.resigned(call, first.getNetwork(), now);
        return Envelopes.sign(identity, now, record);
    }
}
