package dev.rhizome.ops.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a test class would be silently skipped: every class under any module's
 * src/test/java that declares tests (JUnit 5 or Jazzer annotations) must match one of the
 * surefire includes the parent pom configures. A suite named outside the conventions (the gossip
 * *Properties suites once were) otherwise never runs and nobody notices.
 */
class SurefireCoverageTest {
    private static final Pattern TEST_ANNOTATION = Pattern.compile(
            "@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|FuzzTest|Property|Example)\\b");
    private static final Pattern INCLUDE = Pattern.compile("<include>([^<]+)</include>");
    @Test
    void everyTestClassMatchesASurefireInclude() throws IOException {
        Path root = ProjectRoot.find();
        List<PathMatcher> includes = surefireIncludes(root);
        assertThat(includes).as("surefire includes in the parent pom").isNotEmpty();

        List<String> missed = new ArrayList<>();
        int testClasses = 0;
        try (Stream<Path> modules = Files.list(root)) {
            for (Path testSources : modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(testSources)) {
                    for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                        if (!declaresTests(file)) {
                            continue;
                        }
                        testClasses++;
                        Path relative = testSources.relativize(file);
                        if (includes.stream().noneMatch(m -> m.matches(relative))) {
                            missed.add(root.relativize(file).toString());
                        }
                    }
                }
            }
        }
        assertThat(testClasses).as("test classes found (is the project root right?)").isGreaterThan(10);
        assertThat(missed).as("test classes surefire would not run; rename them or extend the includes in pom.xml")
                .isEmpty();
    }

    private static boolean declaresTests(Path file) throws IOException {
        String source = Files.readString(file);
        return TEST_ANNOTATION.matcher(source).find() && !source.contains("abstract class");
    }

    /** Surefire's include patterns as written in the parent pom, as path matchers. */
    private static List<PathMatcher> surefireIncludes(Path root) throws IOException {
        String pom = Files.readString(root.resolve("pom.xml"));
        int surefire = pom.indexOf("<artifactId>maven-surefire-plugin</artifactId>");
        assertThat(surefire).as("the parent pom configures surefire").isNotNegative();
        int end = pom.indexOf("</plugin>", surefire);
        Matcher m = INCLUDE.matcher(pom.substring(surefire, end));
        List<PathMatcher> matchers = new ArrayList<>();
        while (m.find()) {
            String glob = m.group(1).trim();
            matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
            if (glob.startsWith("**/")) {  // "**/" also matches a class in the default package
                matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + glob.substring(3)));
            }
        }
        return matchers;
    }
}
