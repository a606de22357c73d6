package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.ListPages;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator sends lists a page at a time (at most 1,000 items); the readers of whole lists
 * follow the pages: with 1,010 papers on a real coordinator, {@link CoordinatorClient#papers} (what
 * {@code rhizome papers} and the agent read) returns every one, and {@code rhizome export} writes
 * the whole audit trail a page at a time, which verifies.
 */
class WholeListsTest {
    @TempDir
    Path dir;

    @Test
    void clientsAndTheExportReadEveryPageOfAListLongerThanOnePage() throws Exception {
        Identity operator = Identity.generate();
        Manifest manifest = Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42).setAdoptionSeeds(1)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002))
                .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(1)
                .build();
        String seedCommit = HexFormat.of().formatHex(new byte[20]).replace('0', 'a');
        int papers = 1010;
        Path file = dir.resolve("audit.jsonl");
        List<SignedEnvelope> listed;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            long now = System.currentTimeMillis();
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(seedCommit).setManifest(manifest)
                    .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
            op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(seedCommit)
                    .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    int first = w;
                    writers.add(pool.submit(() -> {
                        Identity author = Identity.generate();
                        CoordinatorClient client = new CoordinatorClient(c.url(), author);
                        for (int i = first; i < papers; i += 8) {
                            client.publishPaper(Paper.newBuilder().setDirection("lr").setTitle("finding " + i)
                                    .setAuthor(author.publicId().toByteString())
                                    .setCreatedMs(System.currentTimeMillis()).build());
                        }
                        return null;
                    }));
                }
                for (Future<?> f : writers) {
                    f.get(5, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }

            EnvelopeList all = op.papers("");
            assertThat(all.getEnvelopesCount()).isEqualTo(papers);
            assertThat(all.getNext()).as("a whole list has no cursor").isEmpty();
            assertThat(all.getEnvelopesList()).doesNotHaveDuplicates();
            listed = all.getEnvelopesList();
            assertThat(op.papers("lr").getEnvelopesList()).containsExactlyElementsOf(all.getEnvelopesList());

            List<Long> progress = new ArrayList<>();
            AuditExport.Summary summary = AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(),
                    progress::add);
            assertThat(summary.envelopes()).isEqualTo(2 + papers);
            // written a page at a time, each page told as it lands in the file
            assertThat(progress).containsExactly((long) ListPages.LIMIT, (long) 2 + papers);
        }
        List<AuditLine> lines = AuditExport.read(file);
        List<SignedEnvelope> exported = lines.stream().filter(AuditLine::hasEnvelope).map(AuditLine::getEnvelope)
                .toList();
        assertThat(exported).hasSize(2 + papers).doesNotHaveDuplicates();
        assertThat(lines.stream().filter(AuditLine::hasEnvelope).map(AuditLine::getIndex).toList())
                .isEqualTo(LongStream.range(0, 2 + papers).boxed().toList());
        AuditVerifier.Report report = AuditVerifier.verify(lines);
        assertThat(report.problems()).isEmpty();
        assertThat(report.envelopes()).isEqualTo(2 + papers);
        // the papers newest first are the audit trail's papers in reverse
        List<SignedEnvelope> newestFirst = new ArrayList<>(exported.subList(2, exported.size()));
        Collections.reverse(newestFirst);
        assertThat(listed).containsExactlyElementsOf(newestFirst);
    }
}
