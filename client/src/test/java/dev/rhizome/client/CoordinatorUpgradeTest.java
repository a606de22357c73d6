package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.stream.Stream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator upgrading in place copies the new rhizome.jar over the one a running coordinator
 * started from ({@code cp}, which rewrites the same file), then stops it with SIGTERM. The JVM
 * reads a class from the jar at its first use, so the stop, reading classes it had not used at
 * offsets of the old jar in the new one, ended in {@code NoClassDefFoundError} on the main thread;
 * the server's threads ran on, and the process ignored every later SIGTERM (kill -9 was the only way).
 */
class CoordinatorUpgradeTest {
    @TempDir
    Path dir;

    @Test
    void aCoordinatorWhoseJarWasRewrittenUnderItStopsOnSigtermAndTheNewJarStartsOnItsData() throws Exception {
        Path jar = dir.resolve("rhizome.jar");
        ClassPathJar.write(jar, name -> true);
        Path data = dir.resolve("data");
        Path log = dir.resolve("coordinator.log");
        Process coordinator = RealProcess.start(command(jar, data), log);
        String output = stoppedAfterRewrite(coordinator, jar, log, () -> Files.exists(data.resolve("coordinator.url")));
        assertThat(output).doesNotContain("Exception");
        assertThat(coordinator.exitValue()).as(output).isZero();

        Files.delete(data.resolve("coordinator.url"));
        Path again = dir.resolve("again.log");
        Process upgraded = RealProcess.start(command(jar, data), again);
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(data.resolve("coordinator.url")) || !upgraded.isAlive());
            assertThat(upgraded.isAlive()).as("the new jar's coordinator on the same data: %s", RealProcess.output(again)).isTrue();
        } finally {
            RealProcess.stop(upgraded);
        }
    }

    /**
     * With claims held: a unit leased and a claim waiting for work (wait_s). The stop answers the
     * waiting claim and may build answers and refusals no request had needed before, from classes
     * it must not read from the rewritten jar.
     */
    @Test
    void aCoordinatorHoldingClaimsStopsOnSigtermFromARewrittenJar() throws Exception {
        Path jar = dir.resolve("rhizome.jar");
        ClassPathJar.write(jar, name -> true);
        Path data = dir.resolve("data");
        Path log = dir.resolve("coordinator.log");
        Process coordinator = RealProcess.start(command(jar, data), log);
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(data.resolve("coordinator.url"))
                    || !coordinator.isAlive());
            String url = Files.readString(data.resolve("coordinator.url")).strip();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).clearTrustedProposers().build();
            Seed seed = Seed.newBuilder().setName("held").setCommit("ab".repeat(20)).setManifest(manifest)
                    .setPublisher(operator.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis())
                    .build();
            operator.publishSeed(seed);
            operator.openDirection(Direction.newBuilder().setName("held").setSeed("held").setBaseCommit(seed.getCommit())
                    .setOpenedBy(operator.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis())
                    .build());
            int leased = 0;
            while (!claim(url, 0).getUnit().getId().isEmpty()) {
                leased++;  // the seed's units (a replica each), every one leased
            }
            assertThat(leased).as("units leased").isPositive();
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return "answered: " + claim(url, 60);
                } catch (CoordinatorException e) {
                    return "cut: " + e.getMessage();
                }
            });
            // nothing to lease: the claim is held at the coordinator for its wait
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).failFast("the claim did not wait",
                    waiting::isDone).until(() -> true);
            String output = stoppedAfterRewrite(coordinator, jar, log, () -> true);
            assertThat(output).doesNotContain("Exception");
            assertThat(coordinator.exitValue()).as(output).isZero();
            assertThat(waiting.get(1, TimeUnit.MINUTES)).as("the waiting claim, after the stop").isNotNull();
        } finally {
            RealProcess.kill(coordinator);
        }
    }

    private static ClaimResponse claim(String url, int waitS) throws CoordinatorException {
        Identity runner = Identity.generate();
        return new CoordinatorClient(url, runner, Duration.ofMinutes(2)).claim(ClaimRequest.newBuilder()
                .setNode(runner.publicId().toByteString()).setHardwareClass("cpu:held")
                .addKinds(WorkUnit.Kind.EVALUATE).setWaitS(waitS).setTimeMs(System.currentTimeMillis()).build());
    }

    @Test
    void aNodeWhoseJarWasRewrittenUnderItStopsOnSigtermInOrder() throws Exception {
        // A volunteer upgrading in place: the node's stop (a shutdown hook: slots, gossip, the
        // peer server, its files) read classes it had not used from the rewritten jar.
        Path jar = dir.resolve("rhizome.jar");
        ClassPathJar.write(jar, name -> true);
        Path data = dir.resolve("node");
        Path log = dir.resolve("node.log");
        Process node = RealProcess.start(java(jar, "node", "--data-dir", data.toString(), "--coordinator",
                "http://127.0.0.1:9", "--cpu-jobs", "0", "--gpus", "none"), log);
        String output = stoppedAfterRewrite(node, jar, log, () -> RealProcess.output(log).contains("peer server on"));
        assertThat(output).doesNotContain("ClassNotFoundException");
        assertThat(output).as("its orderly stop ran").contains("node stopped");
    }

    /**
     * The same upgrade of a node at work: a job running, its commit fetched from a peer (a link
     * open to it), another slot's claim waiting at the coordinator. The stop kills the job, settles its
     * claims with the coordinator and closes its links, each through classes it may not have used yet.
     */
    @Test
    void aNodeRunningAJobWithAPeerStopsOnSigtermFromARewrittenJarAndLeavesNothingInFlight() throws Exception {
        Path jar = dir.resolve("rhizome.jar");
        ClassPathJar.write(jar, name -> true);
        Path data = dir.resolve("node");
        Path log = dir.resolve("node.log");
        Path peerLog = dir.resolve("peer.log");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Path peerData = dir.resolve("peer");
            // jobs of some 15 s: the stop comes while one runs; the seed is held by the peer alone
            TestNetwork.publishWithDirection(operator, peerData, TestNetwork.slowSeed(150, 120), "d");
            Process peer = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", peerData.toString(),
                    "--coordinator", coordinator.url(), "--cpu-jobs", "0", "--gpus", "none"), peerLog);
            try {
                await().atMost(Duration.ofSeconds(120)).until(() -> RealProcess.output(peerLog).contains("peer server on")
                        || !peer.isAlive());
                List<String> command = java(jar, "node", "--data-dir", data.toString(), "--coordinator", coordinator.url(),
                        "--cpu-jobs", "2", "--gpus", "none");
                command.add(command.indexOf("-Dlogback.configurationFile=logback.xml"),
                        "-Drhizome.test.jobs-at-callers-priority=true");
                Process node = RealProcess.start(command, log);
                // a job runs and a claim is in flight (once this node has taken every unit it may, it waits
                // at the coordinator): the stop settles that claim through classes it has not used yet
                String output = stoppedAfterRewrite(node, jar, log, () -> RealProcess.output(log).contains("step 1/150")
                        && claimsIn(data).size() == 1);
                assertThat(output).doesNotContain("ClassNotFoundException");
                assertThat(output).as("its orderly stop ran").contains("node stopped");
                assertThat(output).as("no ERROR at the stop").doesNotContain(" ERROR ");
                assertThat(claimsIn(data)).as("claims left in flight: %s", output).isEmpty();
                assertThat(peer.isAlive()).as("the peer, still serving: %s", RealProcess.output(peerLog)).isTrue();
            } finally {
                RealProcess.stop(peer);
            }
        }
    }

    private static List<Path> claimsIn(Path nodeData) throws IOException {
        Path claims = new NodeLayout(nodeData).claims();
        if (!Files.isDirectory(claims)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(claims)) {
            return files.filter(p -> p.toString().endsWith(".claim")).toList();
        }
    }

    /**
     * Waits until {@code process} is {@code ready}, rewrites its jar in place, sends SIGTERM and
     * expects it to end within 2 minutes with no class missing; its output then.
     */
    private static String stoppedAfterRewrite(Process process, Path jar, Path log, Callable<Boolean> ready)
            throws Exception {
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> ready.call() || !process.isAlive());
            assertThat(process.isAlive()).as(RealProcess.output(log)).isTrue();
            rewriteInPlace(jar);

            process.destroy();  // SIGTERM
            assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("stopped on SIGTERM: %s", RealProcess.output(log)).isTrue();
            String output = RealProcess.output(log);
            assertThat(output).doesNotContain("NoClassDefFoundError");
            return output;
        } finally {
            RealProcess.kill(process);
        }
    }

    private static List<String> command(Path jar, Path data) {
        return java(jar, "coordinator", "--data-dir", data.toString(), "--port", "0");
    }

    private static List<String> java(Path jar, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=logback.xml", "-cp",
                jar.toString(), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * A new build over the old one, as {@code cp} writes it: the same file truncated and written
     * again, its entries elsewhere (here the same classes in the reverse order, after a new entry).
     */
    private static void rewriteInPlace(Path jar) throws IOException {
        Path next = jar.resolveSibling("next.jar");
        try (ZipFile old = new ZipFile(jar.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(next))) {
            out.setLevel(Deflater.BEST_SPEED);
            out.putNextEntry(new ZipEntry("META-INF/rhizome-upgraded"));
            out.write(new byte[64 * 1024]);
            out.closeEntry();
            List<ZipEntry> entries = new ArrayList<>(Collections.list(old.entries()));
            Collections.reverse(entries);
            for (ZipEntry e : entries) {
                out.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream in = old.getInputStream(e)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        Object before = Files.getAttribute(jar, "unix:ino");
        try (OutputStream same = Files.newOutputStream(jar, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Files.copy(next, same);
        }
        assertThat(Files.getAttribute(jar, "unix:ino")).as("the same file, rewritten").isEqualTo(before);
    }
}
