package dev.rhizome.ops.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed `.ci/run` names its tests at fault in its log (`.ci/TestFailures.java`), the reports
 * themselves being lost with CI's clone: here over reports shaped as surefire writes them.
 */
class TestFailuresTest {
    @TempDir
    Path dir;

    @Test
    void namesEachFailedTestWithItsFirstLinesEachClassLeftUnfinishedAndEachForkDump() throws Exception {
        Path reports = Files.createDirectories(dir.resolve("client/target/surefire-reports"));
        Files.writeString(reports.resolve("TEST-dev.rhizome.client.SomeTest.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="dev.rhizome.client.SomeTest" time="3.1" tests="2" errors="0" skipped="0" failures="1">
                  <testcase name="passes" classname="dev.rhizome.client.SomeTest" time="0.6"/>
                  <testcase name="failsUnderLoad" classname="dev.rhizome.client.SomeTest" time="2.5">
                    <failure message="[the last rerun: refused] &#10;expected: 0&#10; but was: 2"
                        type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: [the last rerun: refused]
                expected: 0
                 but was: 2
                \tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)
                \tat dev.rhizome.client.SomeTest.failsUnderLoad(SomeTest.java:42)
                \tat org.junit.platform.commons.util.ReflectionUtils.invokeMethod(ReflectionUtils.java:728)
                ]]></failure>
                  </testcase>
                </testsuite>
                """);
        Files.writeString(reports.resolve("dev.rhizome.client.SomeTest-output.txt"), "early\n".repeat(30) + "the last words\n");
        Files.writeString(reports.resolve("dev.rhizome.client.HungTest-output.txt"), "waiting for the node\n");
        Files.writeString(reports.resolve("2026-12-03T17-00-00_000-jvmRun1.dump"), "# Created at 2026-12-03\nBoot Manifest-JAR contains absolute paths\n");
        Path passing = Files.createDirectories(dir.resolve("node/target/surefire-reports"));
        Files.writeString(passing.resolve("TEST-dev.rhizome.node.FineTest.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="dev.rhizome.node.FineTest" tests="1" errors="0" skipped="0" failures="0">
                  <testcase name="works" classname="dev.rhizome.node.FineTest" time="0.1"/>
                </testsuite>
                """);

        String out = run(dir);

        assertThat(out).contains("FAILED client dev.rhizome.client.SomeTest.failsUnderLoad (2.5 s): org.opentest4j.AssertionFailedError")
                .contains("[the last rerun: refused]").contains(" but was: 2")
                .contains("at dev.rhizome.client.SomeTest.failsUnderLoad(SomeTest.java:42)")
                .doesNotContain("DirectMethodHandleAccessor").doesNotContain("ReflectionUtils")
                .contains("the last words").doesNotContain("passes").doesNotContain("FineTest")
                .contains("UNFINISHED client dev.rhizome.client.HungTest").contains("waiting for the node")
                .contains("DUMP client/target/surefire-reports/2026-12-03T17-00-00_000-jvmRun1.dump")
                .contains("Boot Manifest-JAR contains absolute paths")
                .contains("2 folder(s): 1 failed test(s), 1 unfinished test class(es)");
        assertThat(out.lines().filter(l -> l.contains("early"))).as("only the end of the test's output").hasSizeLessThan(15);
    }

    @Test
    void namesTheTestClassesOfAForkThatDiedThoughTheyPrintedNothing() throws Exception {
        // A fork that died in SilentTest (no output, so no -output.txt) before LaterTest: only the
        // compiled classes tell what never reported. Helpers, nested and abstract classes are no tests.
        Path classes = Files.createDirectories(dir.resolve("node/target/test-classes/dev/rhizome/node"));
        for (String name : List.of("FineTest", "SilentTest", "LaterTest", "TestNetwork", "Helper", "FineTest$Inner",
                "AbstractBaseTest")) {
            Files.write(classes.resolve(name + ".class"), new byte[] {(byte) 0xCA, (byte) 0xFE});
        }
        Path sources = Files.createDirectories(dir.resolve("node/src/test/java/dev/rhizome/node"));
        Files.writeString(sources.resolve("AbstractBaseTest.java"), "abstract class AbstractBaseTest { @Test void t() {} }");
        Files.writeString(sources.resolve("TestNetwork.java"), "final class TestNetwork { static void node() {} }");
        Files.writeString(sources.resolve("SilentTest.java"), "class SilentTest { @Test void hangs() {} }");
        Path reports = Files.createDirectories(dir.resolve("node/target/surefire-reports"));
        Files.writeString(reports.resolve("TEST-dev.rhizome.node.FineTest.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="dev.rhizome.node.FineTest" tests="1" errors="0" skipped="0" failures="0">
                  <testcase name="works" classname="dev.rhizome.node.FineTest" time="0.1"/>
                </testsuite>
                """);
        Files.createDirectories(dir.resolve("ops/target/test-classes/dev/rhizome/ops"));
        Files.write(dir.resolve("ops/target/test-classes/dev/rhizome/ops/OpsTest.class"), new byte[] {1});

        String out = run(dir);

        assertThat(out).contains("NO REPORT node: 2 test class(es)")
                .contains("    dev.rhizome.node.LaterTest").contains("    dev.rhizome.node.SilentTest")
                .doesNotContain("node.FineTest").doesNotContain("Inner").doesNotContain("Helper")
                .doesNotContain("AbstractBaseTest").doesNotContain("node.TestNetwork")
                .contains("NOT RUN ops: its 1 test class(es)").doesNotContain("OpsTest")
                .contains("2 test class(es) with no report");
    }

    @Test
    void aTreeWithoutReportsSaysSo() throws Exception {
        assertThat(run(dir)).contains("test reports read in 0 folder(s): 0 failed test(s)");
    }

    /** Runs the script as `.ci/run` does, on this JDK; it must exit 0 whatever it finds. */
    private static String run(Path root) throws IOException, InterruptedException {
        Path script = ProjectRoot.find().resolve(".ci").resolve("TestFailures.java");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), script.toString(), root.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
