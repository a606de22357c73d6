package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkSandboxTest {
    @TempDir
    Path dir;

    @Test
    void aJobCannotReachAServerOnThisMachine() throws Exception {
        assumeTrue(NetworkSandbox.available(), "this machine can't create network namespaces");
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(dir.resolve("Probe.java"), """
                    public class Probe {
                        public static void main(String[] a) {
                            try (var s = new java.net.Socket("127.0.0.1", Integer.parseInt(a[0]))) {
                                System.out.println("reached");
                            } catch (Exception e) {
                                System.out.println("blocked: " + e.getClass().getSimpleName());
                            }
                            System.out.println("val_bpb: 1.0");
                        }
                    }
                    """);
            JobOutcome outcome = new JobRunner().run(new JobSpec(dir, List.of("java", "Probe.java",
                    Integer.toString(server.getLocalPort())), Map.of(), Duration.ofSeconds(60), dir.resolve("job.log"),
                    "val_bpb"), JobProgress.IGNORE);

            assertThat(outcome.status()).isEqualTo(Result.Status.OK);
            assertThat(Files.readString(dir.resolve("job.log"))).contains("blocked").doesNotContain("reached");
        }
    }
}
