package dev.rhizome.ops.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an agent's commands cost to start and answer, against a coordinator of its own on loopback
 * (docs/performance.md, "A command's start"): each case run in turn, rounds interleaved so load
 * that drifts falls on every case alike, medians of wall-clock and of CPU (user + system, from
 * /usr/bin/time), printed as ratios to `java -jar rhizome.jar --version` measured in the same run.
 * For brief and claim it also counts the HTTP requests each made and the coordinator's time on them,
 * from the coordinator's own /metrics (rhizome_http_requests by route) read before and after.
 *
 * <p>{@code java -cp client/target/rhizome.jar dev.rhizome.ops.bench.StartCost [LAUNCHER] [ROUNDS]}
 * (default client/target/rhizome and 5). A main, not a test: it times things.
 */
public final class StartCost {
    private static final Pattern COUNT = Pattern.compile(
            "^rhizome_http_requests_seconds_(count|sum)\\{([^}]*)\\} ([0-9.eE+-]+)$", Pattern.MULTILINE);
    private static final Pattern ROUTE = Pattern.compile("route=\"([^\"]*)\"");

    private final Path launcher;
    private final Path jar;
    private final Path bare;
    private final Path work;
    private final HttpClient http = HttpClient.newHttpClient();
    private String url;

    private StartCost(Path launcher, Path work) throws IOException {
        this.launcher = launcher;
        this.jar = launcher.resolveSibling("rhizome.jar");
        this.work = work;
        // the launcher as it is without its class-data sharing archive: a copy of the script beside
        // a link to the jar, where no rhizome.jsa is
        Path home = Files.createDirectories(work.resolve("bare"));
        this.bare = Files.copy(launcher, home.resolve("rhizome"));
        Files.createSymbolicLink(home.resolve("rhizome.jar"), jar);
    }

    private record Case(String name, List<String> command) {
    }

    private record Sample(double wall, double cpu, Map<String, double[]> routes) {
    }

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args.length > 0 ? args[0] : "client/target/rhizome").toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        if (!Files.isExecutable(launcher) || !Files.isRegularFile(launcher.resolveSibling("rhizome.jar"))) {
            System.err.println("no launcher at " + launcher + " (build it: mvn -B -q package -DskipTests)");
            System.exit(2);
        }
        if (!Files.isExecutable(Path.of("/usr/bin/time"))) {
            System.err.println("needs /usr/bin/time (Debian's `time` package) to read each command's CPU");
            System.exit(2);
        }
        Path work = Files.createTempDirectory("rhizome-start-cost");
        new StartCost(launcher, work).run(rounds);
    }

    private void run(int rounds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process coordinator = new ProcessBuilder(launcher.toString(), "coordinator", "--port", "0", "--json",
                "--data-dir", work.resolve("coordinator").toString())
                .redirectError(work.resolve("coordinator.log").toFile()).start();
        try {
            url = readUrl(coordinator);
            String agent = work.resolve("agent").toString();
            must(launcher.toString(), "seed", "publish", "--builtin", "tiny-lm", "--json", "--coordinator", url,
                    "--data-dir", agent);
            must(launcher.toString(), "direction", "open", "--seed", "tiny-lm", "--name", "lr", "--json",
                    "--coordinator", url, "--data-dir", agent);
            String[] where = {"--coordinator", url, "--data-dir", agent};
            List<Case> cases = List.of(
                    new Case("java -version", List.of(java, "-version")),
                    new Case("java -jar rhizome.jar --version", List.of(java, "-jar", jar.toString(), "--version")),
                    new Case("launcher --version, no archive", List.of(bare.toString(), "--version")),
                    new Case("launcher --version", List.of(launcher.toString(), "--version")),
                    new Case("java -jar rhizome.jar --help", List.of(java, "-jar", jar.toString(), "--help")),
                    new Case("launcher --help", List.of(launcher.toString(), "--help")),
                    new Case("java -jar rhizome.jar brief --json", with(List.of(java, "-jar", jar.toString(), "brief",
                            "--json"), where)),
                    new Case("launcher brief --json, no archive", with(List.of(bare.toString(), "brief", "--json"), where)),
                    new Case("launcher brief --json", with(List.of(launcher.toString(), "brief", "--json"), where)),
                    new Case("launcher claim --json", with(List.of(launcher.toString(), "claim", "--json"), where)));
            Map<String, List<Sample>> samples = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (Case c : cases) {
                    samples.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(measure(c));
                    if (c.name().contains("claim")) {
                        // give the unit back, untimed, so every round claims alike
                        run(with(List.of(launcher.toString(), "unclaim", "--json"), where), false);
                    }
                }
                System.err.printf("round %d of %d done, load %s%n", round + 1, rounds, load());
            }
            report(samples);
        } finally {
            coordinator.destroy();
            coordinator.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static List<String> with(List<String> command, String... more) {
        List<String> all = new ArrayList<>(command);
        all.addAll(Arrays.asList(more));
        return all;
    }

    private Sample measure(Case c) throws Exception {
        Map<String, double[]> before = routes();
        Path times = work.resolve("time.txt");
        List<String> timed = new ArrayList<>(List.of("/usr/bin/time", "-o", times.toString(), "-f", "%e %U %S"));
        timed.addAll(c.command());
        run(timed, false);
        String[] t = Files.readString(times).strip().split("\\s+");
        Map<String, double[]> after = routes();
        Map<String, double[]> used = new TreeMap<>();
        after.forEach((route, v) -> {
            double[] b = before.getOrDefault(route, new double[2]);
            if (v[0] > b[0]) {
                used.put(route, new double[] {v[0] - b[0], v[1] - b[1]});
            }
        });
        return new Sample(Double.parseDouble(t[0]), Double.parseDouble(t[1]) + Double.parseDouble(t[2]), used);
    }

    /** Per route: requests served and seconds spent, from the coordinator's /metrics. */
    private Map<String, double[]> routes() throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, double[]> byRoute = new TreeMap<>();
        Matcher m = COUNT.matcher(text);
        while (m.find()) {
            Matcher r = ROUTE.matcher(m.group(2));
            if (!r.find() || r.group(1).equals("/metrics")) {
                continue;
            }
            double[] v = byRoute.computeIfAbsent(r.group(1), k -> new double[2]);
            v[m.group(1).equals("count") ? 0 : 1] += Double.parseDouble(m.group(3));
        }
        return byRoute;
    }

    private void report(Map<String, List<Sample>> samples) {
        double wallBase = median(samples.get("java -jar rhizome.jar --version"), true);
        double cpuBase = median(samples.get("java -jar rhizome.jar --version"), false);
        System.out.printf("%-40s %8s %8s %10s %10s  %s%n", "case", "wall", "cpu", "wall s", "cpu s",
                "coordinator: requests by route (median round), its seconds");
        samples.forEach((name, list) -> {
            double wall = median(list, true);
            double cpu = median(list, false);
            Map<String, double[]> routes = list.get(list.size() / 2).routes();
            StringBuilder r = new StringBuilder();
            double served = 0;
            int requests = 0;
            for (Map.Entry<String, double[]> e : routes.entrySet()) {
                r.append(' ').append(e.getKey()).append('x').append((int) e.getValue()[0]);
                requests += (int) e.getValue()[0];
                served += e.getValue()[1];
            }
            String coordinator = requests == 0 ? "" : requests + " requests, " + String.format("%.3f s", served) + ":" + r;
            System.out.printf("%-40s %8.2f %8.2f %10.2f %10.2f  %s%n", name, wall / wallBase, cpu / cpuBase, wall, cpu,
                    coordinator);
        });
    }

    private static double median(List<Sample> list, boolean wall) {
        double[] v = list.stream().mapToDouble(s -> wall ? s.wall() : s.cpu()).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String load() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    private String readUrl(Process coordinator) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(coordinator.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        Matcher m = Pattern.compile("\"url\":\"([^\"]+)\"").matcher(line == null ? "" : line);
        if (!m.find()) {
            throw new IOException("the coordinator printed no url: " + line + "; its log: " + work.resolve("coordinator.log"));
        }
        return m.group(1);
    }

    private void must(String... command) throws Exception {
        run(List.of(command), true);
    }

    private void run(List<String> command, boolean must) throws Exception {
        Path out = work.resolve("out.txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(command + " did not end in 10 minutes");
        }
        if (must && p.exitValue() != 0) {
            throw new IOException(command + " exited " + p.exitValue() + ": " + Files.readString(out));
        }
    }
}
