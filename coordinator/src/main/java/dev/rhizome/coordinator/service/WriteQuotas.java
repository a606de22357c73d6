package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.store.Quotas;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Charges one write to today's counts of its key, its address, its network and the coordinator, inside the
 * transaction that stores it (a refused or rolled-back write counts nothing; a retry of a record
 * already stored is answered before and counts nothing either). Refuses with 429 LIMIT_REACHED
 * naming the bound ({@link WriteQuota#refusal}).
 */
public final class WriteQuotas {
    static final String ALL = "all";

    private final WriteQuota.Limits limits;

    public WriteQuotas(WriteQuota.Limits limits) {
        this.limits = limits;
    }

    public static WriteQuotas defaults() {
        return new WriteQuotas(WriteQuota.Limits.defaults());
    }

    /**
     * @param signer the key the write is charged to, or empty for a write counted per address and in total only
     * @param origin the request's address scope ({@link dev.rhizome.coordinator.core.AddressScope}), or ""
     */
    public void charge(Quotas tx, WriteQuota.Kind kind, ByteString signer, String origin, long nowMs) {
        WriteQuota.Limit limit = limits.of(kind);
        if (limit.perKey() == 0 && limit.perAddress() == 0 && limit.total() == 0 && limit.perNetwork() == 0) {
            return;
        }
        long day = Reputation.dayStart(nowMs);
        List<String> scopes = new ArrayList<>(3);
        String key = signer.isEmpty() ? "" : "key:" + PublicId.hex(signer);
        String address = origin.isEmpty() ? "" : "address:" + origin;
        if (!key.isEmpty()) {
            scopes.add(key);
        }
        String network = origin.isEmpty() ? "" : "network:" + AddressScope.network(origin);
        if (!address.isEmpty()) {
            scopes.add(address);
            scopes.add(network);
        }
        if (limit.total() > 0) {
            scopes.add(ALL);
        }
        Map<String, Integer> counts = tx.writeCounts(kind.configName(), day, scopes);
        WriteQuota.Counts today = new WriteQuota.Counts(counts.getOrDefault(key, 0), counts.getOrDefault(address, 0),
                counts.getOrDefault(ALL, 0), counts.getOrDefault(network, 0));
        WriteQuota.refusal(kind, limit, today, !address.isEmpty(), nowMs).ifPresent(reason -> {
            throw Rejection.limitReached(reason);
        });
        tx.countWrite(kind.configName(), day, scopes);
    }

    /**
     * Takes back one write of {@code kind} charged with no key from {@code origin} on the day
     * containing {@code chargedMs} (a lease given back unanswered: its client never had it).
     */
    public void refund(Quotas tx, WriteQuota.Kind kind, String origin, long chargedMs) {
        WriteQuota.Limit limit = limits.of(kind);
        List<String> scopes = new ArrayList<>(3);
        if (!origin.isEmpty()) {
            scopes.add("address:" + origin);
            scopes.add("network:" + AddressScope.network(origin));
        }
        if (limit.total() > 0) {
            scopes.add(ALL);
        }
        tx.uncountWrite(kind.configName(), Reputation.dayStart(chargedMs), scopes);
    }
}
