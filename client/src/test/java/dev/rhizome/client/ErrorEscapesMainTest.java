package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.protocol.LoadScaledBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@link Error} that escapes a command (a class the jar no longer holds: an upgrade in place, a
 * damaged jar) ends the process, exit code 1 and the error on stderr. When {@code Main} let it end
 * the main thread alone, a coordinator's server threads kept the JVM up, serving, and SIGTERM (which
 * the command handles itself) no longer stopped it. Here a real coordinator runs from a jar lacking
 * the one class its main thread uses after the server is up ({@code StopClasses}).
 */
class ErrorEscapesMainTest {
    private static final String MISSING = "dev/rhizome/client/cli/StopClasses.class";

    @TempDir
    Path dir;

    @Test
    void aCoordinatorWhoseCommandThrowsAnErrorAfterItsServerStartedExits() throws Exception {
        Path jar = dir.resolve("rhizome.jar");
        ClassPathJar.write(jar, name -> !name.equals(MISSING));
        Path data = dir.resolve("data");
        Path log = dir.resolve("coordinator.log");
        Process coordinator = RealProcess.start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=logback.xml", "-cp", jar.toString(),
                Main.class.getName(),
                "coordinator", "--data-dir", data.toString(), "--port", "0"), log);
        try {
            Duration patience = new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(300)).now();
            boolean ended = coordinator.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS);
            String output = RealProcess.output(log);
            assertThat(Files.exists(data.resolve("coordinator.url"))).as("its server was up before the error: %s", output).isTrue();
            assertThat(ended).as("the process ended within %s of the error: %s", patience, output).isTrue();
            assertThat(coordinator.exitValue()).as(output).isEqualTo(ExitCodes.FAILED);
            assertThat(output).contains("NoClassDefFoundError").contains("StopClasses");
        } finally {
            RealProcess.kill(coordinator);
        }
    }
}
