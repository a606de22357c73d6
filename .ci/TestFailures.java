import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What a failed `.ci/run` leaves in its log about its tests: the reports under every module's
 * target/surefire-reports vanish with CI's temporary clone, and Maven's own summary does not name a
 * test whose fork died or hung. Prints each failed test (its module, class, method, time, the first
 * lines of its failure and of the test's own output's end), each test class that started but left no
 * report (the fork ended inside it), and the start of each fork dump. Run as a single source file:
 * `java .ci/TestFailures.java [ROOT]`; it only reads, and exits 0 whatever it finds.
 */
public final class TestFailures {
    private static final Pattern TEST_ANNOTATION = Pattern.compile(
            "@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|FuzzTest|Property|Example)\\b");
    private static final int MESSAGE_LINES = 8;
    private static final int STACK_FRAMES = 6;
    private static final int OUTPUT_LINES = 15;
    private static final int DUMP_LINES = 10;
    private static final List<String> PLUMBING = List.of("at java.base/jdk.internal.", "at java.base/java.lang.reflect.",
            "at org.junit.", "at org.apache.maven.");

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        List<Path> reportDirs = new ArrayList<>();
        int unreported = 0;
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.sorted().toList()) {
                Path surefire = module.resolve("target").resolve("surefire-reports");
                for (String kind : List.of("surefire-reports", "failsafe-reports")) {
                    Path reports = module.resolve("target").resolve(kind);
                    if (Files.isDirectory(reports)) {
                        reportDirs.add(reports);
                    }
                }
                unreported += printUnreported(root, module, surefire);
            }
        }
        int failed = 0;
        int unfinished = 0;
        for (Path reports : reportDirs) {
            String module = root.relativize(reports).getName(0).toString();
            for (Path xml : files(reports, "TEST-", ".xml")) {
                failed += printFailures(module, xml);
            }
            for (Path output : files(reports, "", "-output.txt")) {
                String testClass = output.getFileName().toString().replaceFirst("-output\\.txt$", "");
                if (!Files.exists(reports.resolve("TEST-" + testClass + ".xml"))) {
                    unfinished++;
                    System.out.println("UNFINISHED " + module + " " + testClass
                            + ": started, no report (its fork died or was stopped in it); the end of its output:");
                    printIndented(tail(read(output), OUTPUT_LINES));
                }
            }
            for (Path dump : files(reports, "", ".dump", ".dumpstream")) {
                System.out.println("DUMP " + root.relativize(dump) + ":");
                printIndented(read(dump).lines().limit(DUMP_LINES).toList());
            }
        }
        System.out.println("test reports read in " + reportDirs.size() + " folder(s): " + failed
                + " failed test(s), " + unfinished + " unfinished test class(es), " + unreported
                + " test class(es) with no report");
    }

    /**
     * Names the module's compiled test classes that surefire would run but that left no report: those
     * of a fork that died (the one it was in, if it wrote no output, and those it never reached), or of
     * a module the build stopped before. A class that printed nothing leaves no output file, so
     * {@code UNFINISHED} alone missed it. Returns how many.
     */
    private static int printUnreported(Path root, Path module, Path reports) throws IOException {
        Path classes = module.resolve("target").resolve("test-classes");
        if (!Files.isDirectory(classes)) {
            return 0;
        }
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String simple = file.getFileName().toString().replaceFirst("\\.class$", "");
                if (simple.contains("$") || !surefireRuns(simple)) {
                    continue;
                }
                Path relative = classes.relativize(file);
                String testClass = relative.toString().replaceFirst("\\.class$", "").replace(File.separatorChar, '.');
                Path source = module.resolve("src/test/java").resolve(relative.toString().replaceFirst("\\.class$", ".java"));
                if (Files.exists(source) && !declaresTests(read(source), simple)) {
                    continue;
                }
                if (!Files.exists(reports.resolve("TEST-" + testClass + ".xml"))) {
                    missing.add(testClass);
                }
            }
        }
        if (missing.isEmpty()) {
            return 0;
        }
        if (!Files.isDirectory(reports)) {  // nothing of the module ran: no test of it to name
            System.out.println("NOT RUN " + root.relativize(module) + ": its " + missing.size()
                    + " test class(es) (the build stopped before this module's tests)");
            return 0;
        }
        System.out.println("NO REPORT " + root.relativize(module) + ": " + missing.size()
                + " test class(es) never reported (a fork died in or before them, or the run was stopped):");
        printIndented(missing);
        return missing.size();
    }

    /** As SurefireCoverageTest reads a source: a class with test annotations that is not abstract (helpers like TestNetwork match Test*). */
    private static boolean declaresTests(String source, String simpleName) {
        return TEST_ANNOTATION.matcher(source).find() && !source.contains("abstract class " + simpleName);
    }

    /** The parent pom's surefire includes: *Test, *Tests, Test*, *TestCase (SurefireCoverageTest holds sources to them). */
    private static boolean surefireRuns(String simpleName) {
        return simpleName.endsWith("Test") || simpleName.endsWith("Tests") || simpleName.startsWith("Test")
                || simpleName.endsWith("TestCase");
    }

    private static int printFailures(String module, Path xml) {
        Element suite;
        try {
            suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
        } catch (Exception e) {
            System.out.println("UNREADABLE " + xml + ": " + e.getMessage());
            return 0;
        }
        int failed = 0;
        NodeList cases = suite.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element testCase = (Element) cases.item(i);
            for (Node child = testCase.getFirstChild(); child != null; child = child.getNextSibling()) {
                if (child instanceof Element problem && (problem.getTagName().equals("failure")
                        || problem.getTagName().equals("error"))) {
                    failed++;
                    String testClass = testCase.getAttribute("classname");
                    System.out.println("FAILED " + module + " " + testClass + "." + testCase.getAttribute("name")
                            + " (" + testCase.getAttribute("time") + " s): " + problem.getAttribute("type"));
                    printIndented(firstLines(problem.getAttribute("message"), problem.getTextContent()));
                    Path output = xml.resolveSibling(testClass + "-output.txt");
                    if (Files.exists(output)) {
                        System.out.println("  the end of " + output.getFileName() + ":");
                        printIndented(tail(read(output), OUTPUT_LINES));
                    }
                    break;
                }
            }
        }
        return failed;
    }

    /**
     * The message's first lines, then the first frames of the trace that are not the test
     * framework's or reflection's (the trace's own first lines repeat the message).
     */
    private static List<String> firstLines(String message, String trace) {
        List<String> lines = new ArrayList<>(message.lines().limit(MESSAGE_LINES).toList());
        trace.lines().map(String::strip)
                .filter(l -> l.startsWith("Caused by:") || l.startsWith("at ") && PLUMBING.stream().noneMatch(l::startsWith))
                .limit(STACK_FRAMES).forEach(lines::add);
        return lines;
    }

    private static List<Path> files(Path dir, String prefix, String... suffixes) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> {
                String name = f.getFileName().toString();
                return name.startsWith(prefix) && Arrays.stream(suffixes).anyMatch(name::endsWith);
            }).sorted().toList();
        }
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static List<String> tail(String text, int n) {
        List<String> lines = text.lines().toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    private static void printIndented(List<String> lines) {
        lines.forEach(l -> System.out.println("    " + l));
    }
}
