package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.UnderWay;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What other agents are exploring on a direction now, before they submit (GET /v1/under-way): the
 * hypotheses they claimed with and hold leases for. `brief` showed only what was submitted, so two
 * agents read the same brief and tried the same idea; the claim's near-duplicate check came after
 * the choice. A hypothesis is what its claimant sent to be compared with other claims (`claim`'s
 * {@code similar} showed it already); nothing of the work itself is shown. Untrusted text.
 */
final class UnderWayClaims {
    private final List<UnderWay> claims;

    private UnderWayClaims(List<UnderWay> claims) {
        this.claims = claims;
    }

    /** The direction's explorations under way; empty where the coordinator does not list them (older than round 35). */
    static Optional<UnderWayClaims> read(CoordinatorClient client, String direction) {
        try {
            return Optional.of(new UnderWayClaims(client.underWay(direction).getUnderWayList()));
        } catch (CoordinatorException e) {
            return Optional.empty();  // a courtesy: the brief stands without it
        }
    }

    /** Each: unit_id, hypothesis (untrusted), claimant_id, mine, commit, claimed_ms, lease_deadline_ms. */
    JsonArray json(ByteString me, int maxChars) {
        JsonArray a = new JsonArray();
        for (UnderWay u : claims) {
            JsonObject o = new JsonObject();
            o.addProperty("unit_id", u.getUnitId());
            o.add("hypothesis", Untrusted.json("hypothesis claimed with unit " + u.getUnitId(), u.getHypothesis(), maxChars));
            o.addProperty("claimant_id", PublicId.hex(u.getClaimant()));
            o.addProperty("mine", u.getClaimant().equals(me));
            o.addProperty("commit", u.getCommit());
            o.addProperty("claimed_ms", u.getClaimedMs());
            o.addProperty("lease_deadline_ms", u.getLeaseDeadlineMs());
            a.add(o);
        }
        return a;
    }

    /** One entry a claim: whose, from which commit, since when, then the hypothesis fenced. */
    String text(ByteString me, int maxChars, long nowMs) {
        if (claims.isEmpty()) {
            return "No agent holds an exploration with a stated hypothesis now.\n";
        }
        StringBuilder t = new StringBuilder();
        for (UnderWay u : claims) {
            long minutes = Duration.ofMillis(Math.max(0, nowMs - u.getClaimedMs())).toMinutes();
            t.append("- unit ").append(u.getUnitId()).append(u.getClaimant().equals(me) ? " (yours)"
                    : " by key " + PublicId.hex(u.getClaimant()).substring(0, 16)).append(", from ")
                    .append(CommitId.abbreviate(u.getCommit())).append(", claimed ").append(minutes)
                    .append(" min ago, leased until ").append(Instant.ofEpochMilli(u.getLeaseDeadlineMs())).append('\n');
            t.append(Untrusted.fence("hypothesis", u.getHypothesis(), maxChars));
        }
        return t.toString();
    }
}
