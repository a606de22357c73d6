package dev.rhizome.coordinator.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each stored result is answered with a receipt signed by the coordinator instance's own key, at
 * the result's place in the audit trail; a resend gets the same receipt; the key survives a
 * restart; several instances on one store each have theirs, and each names them all. On both stores.
 */
class ResultReceiptsTest extends OnEachStore {
    @Test
    void aStoredResultIsAnsweredWithASignedReceiptAtItsPlaceInTheTrail() throws Exception {
        open(Fixtures.manifest(2, 0.01, 1), ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults()).withSeedAndDirection();
        CoordinatorStats stats = h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
        assertThat(stats.getReceiptKey().size()).isEqualTo(32);
        assertThat(stats.getReceiptKeysList()).containsExactly(stats.getReceiptKey());

        List<Ack> acks = new ArrayList<>();
        List<SignedEnvelope> sent = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Identity runner = Identity.generate();
            WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
            SignedEnvelope result = h.api.sign(runner, Fixtures.result(runner, unit, 3.2, h.clock.millis()));
            sent.add(result);
            acks.add(h.api.post("/v1/results", result).ack());
        }
        List<String> trail = trailIds();
        for (int i = 0; i < acks.size(); i++) {
            Ack ack = acks.get(i);
            Verified<ResultReceipt> receipt = Envelopes.open(ack.getReceipt(), ResultReceipt.getDefaultInstance());
            Envelopes.requireNetwork(receipt, h.api.network());
            assertThat(receipt.signer().toByteString()).as("this instance's key").isEqualTo(stats.getReceiptKey());
            assertThat(receipt.record().getNetwork()).isEqualTo(h.api.network());
            assertThat(receipt.record().getEnvelopeId()).isEqualTo(Envelopes.id(sent.get(i))).isEqualTo(ack.getId());
            long position = trail.indexOf(ack.getId());
            if (store.equals(Harness.SQLITE)) {
                assertThat(receipt.record().getAuditIndex()).as("its position in /v1/audit").isEqualTo(position);
            } else {
                // a rolled-back insert leaves a gap in PostgreSQL's keys: never before its position
                assertThat(receipt.record().getAuditIndex()).as("at or past its position in /v1/audit")
                        .isGreaterThanOrEqualTo(position).isLessThan(position + 10);
            }
            assertThat(receipt.record().getTimeMs()).isEqualTo(h.clock.millis());
        }

        // its ack was lost: the resend is "already recorded", with the same receipt, byte for byte
        Ack again = h.api.post("/v1/results", sent.get(0)).ack();
        assertThat(again.getMessage()).contains("already recorded");
        assertThat(again.getReceipt()).isEqualTo(acks.get(0).getReceipt());

        // signed as a ResultReceipt: it opens as no other record, and not for another network
        assertThatThrownBy(() -> Envelopes.open(acks.get(0).getReceipt(), Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("expected a signed rhizome.v1.Result");
        SignedEnvelope otherNetwork = acks.get(0).getReceipt().toBuilder().setNetwork("another-net").build();
        assertThatThrownBy(() -> Envelopes.open(otherNetwork, ResultReceipt.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("does not verify");

        h.restart(ApiClient.Format.PROTOBUF);
        CoordinatorStats after = h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
        assertThat(after.getReceiptKey()).as("the same key after a restart").isEqualTo(stats.getReceiptKey());
        assertThat(after.getReceiptKeysList()).containsExactly(stats.getReceiptKey());
    }

    @Test
    void everyInstanceOnOneStoreSignsWithItsOwnKeyAndNamesThemAll() throws Exception {
        assumeTrue(store.equals(Harness.POSTGRESQL), "several instances share a PostgreSQL store only");
        open(Fixtures.manifest(2, 0.01, 1), ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults()).withSeedAndDirection();
        ByteString first = h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build().getReceiptKey();
        try (Coordinator second = Coordinator.start(h.config().withDataDir(dataDir.resolve("second")))) {
            ApiClient api2 = new ApiClient(second.url(), ApiClient.Format.PROTOBUF, h.clock);
            Identity runner = Identity.generate();
            WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
            Ack ack = api2.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.2, h.clock.millis())).ack();
            ByteString secondKey = api2.get("/v1/stats", CoordinatorStats.newBuilder()).build().getReceiptKey();
            assertThat(secondKey).isNotEqualTo(first);
            assertThat(Envelopes.open(ack.getReceipt(), ResultReceipt.getDefaultInstance()).signer().toByteString())
                    .isEqualTo(secondKey);
            assertThat(h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build().getReceiptKeysList())
                    .as("the first names the second's key too, for an export made there")
                    .containsExactlyInAnyOrder(first, secondKey);
        }
    }

    private List<String> trailIds() {
        List<String> ids = new ArrayList<>();
        String after = "";
        do {
            EnvelopeList page = h.api.get("/v1/audit?limit=1000" + (after.isEmpty() ? "" : "&after=" + after),
                    EnvelopeList.newBuilder()).build();
            page.getEnvelopesList().forEach(e -> ids.add(Envelopes.id(e)));
            after = page.getNext();
        } while (!after.isEmpty());
        return ids;
    }
}
