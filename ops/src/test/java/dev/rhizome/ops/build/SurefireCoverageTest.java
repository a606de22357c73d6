package dev.rhizome.ops.build;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ModifiersTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
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

    /**
     * Surefire runs no class whose name holds '$' (its default excludes): a nested class's tests run
     * only through their outer class, which JUnit follows into non-static {@code @Nested} classes only.
     * A static nested class of tests, or one not marked, is silently never run, though its file
     * passes the check above; likewise a second top-level class in a file named for another.
     */
    @Test
    void everyClassDeclaringTestsIsOneSurefireOrJUnitRuns() throws IOException {
        Path root = ProjectRoot.find();
        List<PathMatcher> includes = surefireIncludes(root);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("the JDK's compiler, to read the test sources").isNotNull();
        List<String> unrun = new ArrayList<>();
        int classes = 0;
        try (Stream<Path> modules = Files.list(root);
                StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            for (Path testSources : modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).toList()) {
                List<Path> sources;
                try (Stream<Path> walk = Files.walk(testSources)) {
                    sources = walk.filter(f -> f.toString().endsWith(".java")).toList();
                }
                JavacTask task = (JavacTask) javac.getTask(null, files, null, List.of("-proc:none"), null,
                        files.getJavaFileObjectsFromPaths(sources));
                for (CompilationUnitTree unit : task.parse()) {
                    Path file = Path.of(unit.getSourceFile().toUri());
                    Path relative = testSources.relativize(file);
                    for (Tree type : unit.getTypeDecls()) {
                        if (type instanceof ClassTree top) {
                            classes++;
                            boolean runs = includes.stream().anyMatch(m -> m.matches(relative.resolveSibling(
                                    top.getSimpleName() + ".java")));
                            collectUnrun(top, runs, root.relativize(file) + " " + top.getSimpleName(), unrun);
                        }
                    }
                }
            }
        }
        assertThat(classes).as("test classes read (is the project root right?)").isGreaterThan(10);
        assertThat(unrun).as("classes whose tests neither surefire nor JUnit would run: name a top-level class for a"
                + " surefire include, make a nested one a non-static @Nested class").isEmpty();
    }

    /** Adds {@code type} (named {@code where}) and the classes nested in it that declare tests no one runs. */
    private static void collectUnrun(ClassTree type, boolean runs, String where, List<String> unrun) {
        boolean concrete = !type.getModifiers().getFlags().contains(Modifier.ABSTRACT)
                && type.getKind() == Tree.Kind.CLASS;
        if (!runs && concrete && declaresTests(type)) {
            unrun.add(where);
        }
        for (Tree member : type.getMembers()) {
            if (member instanceof ClassTree nested) {
                boolean nestedRuns = runs && annotated(nested.getModifiers(), "Nested")
                        && !nested.getModifiers().getFlags().contains(Modifier.STATIC);
                collectUnrun(nested, nestedRuns, where + "." + nested.getSimpleName(), unrun);
            }
        }
    }

    private static boolean declaresTests(ClassTree type) {
        return type.getMembers().stream().anyMatch(m -> m instanceof MethodTree method
                && method.getModifiers().getAnnotations().stream().anyMatch(a ->
                        TEST_ANNOTATION.matcher("@" + simpleName(a.getAnnotationType().toString())).matches()));
    }

    private static boolean annotated(ModifiersTree modifiers, String name) {
        return modifiers.getAnnotations().stream().anyMatch(a -> simpleName(a.getAnnotationType().toString()).equals(name));
    }

    private static String simpleName(String annotation) {
        return annotation.substring(annotation.lastIndexOf('.') + 1);
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
