package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Chromium;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser: headless Chromium loads {@code /} from a coordinator with a
 * measured direction (closed by an operator, its history kept), a second open direction, an
 * adopted experiment and a paper whose title is HTML, runs the page's
 * script, and the DOM it leaves is checked. A screenshot goes to target/dashboard.png.
 */
class DashboardTest {
    private static final String OPEN_DIRECTION = "width-sweep";
    private static final String HOSTILE_TITLE = "<img src=x onerror=\"document.title='pwned'\">Lower lr <b>wins</b>";

    @TempDir
    Path dataDir;

    @Test
    void theDashboardShowsDirectionsFrontierChartClosedDirectionsAndPapersAsText() throws Exception {
        String chromium = Chromium.find();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            Identity runner = Identity.generate();
            Identity other = Identity.generate();
            WorkUnit baseline = h.claimEvaluation(runner, h.seedCommit);
            h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, baseline, 3.25, h.clock.millis())).ack();
            String better = Fixtures.commit();
            h.api.signAndPost("/v1/experiments", other, Fixtures.experiment(other, SEED, DIRECTION, better,
                    h.seedCommit, h.clock.millis())).ack();
            h.clock.advance(Duration.ofSeconds(5));
            WorkUnit replica = h.claimEvaluation(runner, better);
            h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, replica, 2.75, h.clock.millis())).ack();
            h.api.signAndPost("/v1/papers", other, Paper.newBuilder().setDirection(DIRECTION).setTitle(HOSTILE_TITLE)
                    .setBodyMarkdown("body").setAuthor(other.publicId().toByteString())
                    .setCreatedMs(h.clock.millis()).build()).ack();

            // The measured direction is closed by an operator; another one stays open.
            h.api.signAndPost("/v1/directions", h.operator,
                    Fixtures.direction(h.operator, OPEN_DIRECTION, SEED, h.seedCommit, h.clock.millis())).ack();
            h.api.signAndPost("/v1/directions/close", h.operator, DirectionClosure.newBuilder().setName(DIRECTION)
                    .setReason("budget spent").setClosedBy(h.operator.publicId().toByteString())
                    .setClosedMs(h.clock.millis()).build()).ack();

            // a live node working on the open direction: the nodes table names what it runs
            Identity worker = Identity.generate();
            h.api.signAndPost("/v1/announce", worker, NodeAnnouncement.newBuilder()
                    .setNode(worker.publicId().toByteString()).setHost("127.0.0.1").setPort(7000)
                    .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
            h.api.signAndPost("/v1/experiments", other, Fixtures.experiment(other, SEED, OPEN_DIRECTION,
                    Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
            WorkUnit working = h.api.claim(worker);
            assertThat(working).as("a unit of the open direction for the worker").isNotNull();

            String dom = Chromium.run(chromium, dataDir.resolve("profile-dom"), "--dump-dom", h.coordinator.url() + "/");
            assertThat(dom).containsPattern("(?s)<table id=\"nodes\">.*<td>1 unit: " + working.getDirection() + " "
                    + working.getKind().name().toLowerCase(java.util.Locale.ROOT) + "</td>");
            String closed = section(dom, DIRECTION);
            assertThat(dom).contains("<section class=\"direction closed\" data-direction=\"" + DIRECTION + "\">");
            assertThat(closed).contains("<span class=\"closed-badge\">closed</span>")
                    .contains("<p class=\"closed-note\">Closed by an operator: budget spent.")
                    .contains("<td>state</td><td>closed</td>");
            // its history stays visible: the frontier, the chart of its results and the research tree
            assertThat(closed).contains("<td class=\"frontier-metric\">2.7500</td>");
            assertThat(closed).contains("<td class=\"gain\">+15.38% (lower is better)</td>");  // 3.25 -> 2.75
            assertThat(closed).contains("<canvas");  // uPlot drew the metric over time
            assertThat(closed).contains("class=\"adopted\"");
            assertThat(dom).contains("<section class=\"direction\" data-direction=\"" + OPEN_DIRECTION + "\">");
            assertThat(section(dom, OPEN_DIRECTION)).contains("<td>state</td><td>open</td>")
                    .doesNotContain("closed-badge").doesNotContain("closed-note");
            assertThat(dom).contains("<span class=\"paper-title\">&lt;img src=x onerror=\"document.title='pwned'\"&gt;"
                    + "Lower lr &lt;b&gt;wins&lt;/b&gt;</span>");
            assertThat(dom).doesNotContain("<img src=\"x\"").contains("<title>Rhizome coordinator</title>");
            // the summary above the directions: one of two open, and the closed one's results counted
            assertThat(dom).contains("<div class=\"value\">1 / 2</div><div class=\"label\">open directions</div>")
                    .contains("<div class=\"value\">2</div><div class=\"label\">results</div>");
            // the runner's credit over the whole history: both its results were valid replicas
            String runnerId = PublicId.hex(runner.publicId().toByteString()).substring(0, 12);
            assertThat(dom).containsPattern("(?s)<table id=\"credit\">.*<tr><td>" + runnerId
                    + "</td><td class=\"num\">\\d+</td><td class=\"num\">2</td><td class=\"num\">0</td>");

            Path shot = Paths.get("target", "dashboard.png").toAbsolutePath();
            Files.createDirectories(shot.getParent());
            Files.deleteIfExists(shot);
            Chromium.run(chromium, dataDir.resolve("profile-shot"), "--screenshot=" + shot, "--window-size=1280,1600",
                    h.coordinator.url() + "/");
            assertThat(shot).exists();
            assertThat(Files.size(shot)).isGreaterThan(10_000);
        }
    }

    /** The rendered section of one direction, from its opening tag to its end. */
    private static String section(String dom, String direction) {
        int start = dom.indexOf("data-direction=\"" + direction + "\"");
        assertThat(start).as("a section for %s", direction).isNotNegative();
        int end = dom.indexOf("</section>", start);
        assertThat(end).as("the end of the section for %s", direction).isPositive();
        return dom.substring(start, end);
    }
}
