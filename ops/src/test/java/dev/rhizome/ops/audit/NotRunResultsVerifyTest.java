package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Results that report a unit not run (UNFETCHABLE: no peer served the commit; REFUSED: the commit
 * breaks the seed's policy) are outcomes the coordinator takes and keeps: an export holding them
 * verifies clean (the kill storm's `verify --receipts` named them "not a run's outcome"), and a
 * status that is no outcome at all is still named.
 */
class NotRunResultsVerifyTest {
    @TempDir
    Path dir;

    @Test
    void unfetchableAndRefusedResultsVerifyAndAStatusThatIsNoOutcomeIsNamed() throws Exception {
        Identity operator = Identity.generate();
        List<Identity> runners = List.of(Identity.generate(), Identity.generate());
        Manifest manifest = TinyLmDirection.manifest(3);
        String seedCommit = "b".repeat(40);
        Path file = dir.resolve("audit.jsonl");
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            TinyLmDirection.open(c.url(), operator, seedCommit, manifest);
            List<Result.Status> statuses = List.of(Result.Status.UNFETCHABLE, Result.Status.REFUSED);
            for (int i = 0; i < runners.size(); i++) {
                Identity runner = runners.get(i);
                CoordinatorClient client = new CoordinatorClient(c.url(), runner);
                var response = client.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                        .setHardwareClass("cpu:x86_64").setTimeMs(System.currentTimeMillis()).build());
                assertThat(response.hasUnit()).as("the base's trials are open to %s", runner.publicId()).isTrue();
                WorkUnit u = response.getUnit();
                client.reportResult(client.signed(Result.newBuilder().setWorkUnitId(u.getId())
                        .setSeed(u.getSeed()).setDirection(u.getDirection()).setCommit(u.getCommit())
                        .setParent(u.getParent()).setStatus(statuses.get(i)).setReason("not run: " + statuses.get(i))
                        .setHardwareClass("cpu:x86_64").setRunner(runner.publicId().toByteString())
                        .setProposer(u.getProposer()).setTimeMs(System.currentTimeMillis()).setBudget(u.getBudget())
                        .setRandomSeed(u.getRandomSeed()).build()));
            }
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
        }

        List<AuditLine> lines = AuditExport.read(file);
        AuditVerifier.Report report = AuditVerifier.verify(lines);
        assertThat(report.problems()).isEmpty();
        assertThat(report.results()).isEqualTo(2);

        // the same record signed by its runner with no status at all: no outcome, named
        int at = -1;
        for (int i = 0; i < lines.size() && at < 0; i++) {
            if (lines.get(i).hasEnvelope() && lines.get(i).getEnvelope().getType().equals("rhizome.v1.Result")) {
                at = i;
            }
        }
        AuditLine original = lines.get(at);
        Result r = Result.parseFrom(original.getEnvelope().getPayload());
        Identity signer = runners.stream().filter(id -> id.publicId().toByteString().equals(r.getRunner()))
                .findFirst().orElseThrow();
        SignedEnvelope unspecified = Envelopes.sign(signer, original.getEnvelope().getNetwork(),
                r.toBuilder().setStatus(Result.Status.STATUS_UNSPECIFIED).build());
        List<AuditLine> edited = new ArrayList<>(lines);
        edited.set(at, original.toBuilder().setEnvelope(unspecified).build());
        assertThat(AuditVerifier.verify(edited).problems()).anySatisfy(problem -> {
            assertThat(problem.type()).isEqualTo("Result");
            assertThat(problem.why()).contains("STATUS_UNSPECIFIED is no outcome");
        });
    }
}
