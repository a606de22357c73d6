package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A test-only non-root user that runs a check's {@code main} in a JVM of its own, as a volunteer runs
 * a node: made with {@code useradd} when the tests run as root (CI, the development machine), with or
 * without a range of subordinate ids, and removed with its lines of {@code /etc/subuid} and
 * {@code /etc/subgid} afterwards ({@link #close}); the test's own user where the tests do not run as
 * root, which must then have no subordinate ids to be asked for. A missing tool or root skips the test,
 * saying which.
 */
final class TestUser implements AutoCloseable {
    /** What a node of an ordinary user with subordinate ids needs, besides useradd (root's). */
    private static final List<String> SUBORDINATE_TOOLS = List.of("setpriv", "newuidmap", "newgidmap", "nsenter",
            "unshare", "bwrap");

    private final String name;
    private final int uid;
    private final boolean made;
    private Path classPathCopy;

    private TestUser(String name, int uid, boolean made) {
        this.name = name;
        this.uid = uid;
        this.made = made;
    }

    /** A user made for the test, with a range of subordinate ids (useradd's, or usermod's where login.defs asks for none). */
    static TestUser withSubordinateIds() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "making a test user needs root (the tests run as root in CI)");
        for (String tool : List.of("useradd", "userdel", "usermod")) {
            assumeTrue(Files.isExecutable(Path.of(sbin(tool))), tool + " is not installed");
        }
        for (String tool : SUBORDINATE_TOOLS) {
            assumeTrue(SandboxProbe.onPath(tool).isPresent(), tool + " is not installed (Debian and Ubuntu: apt install "
                    + (tool.startsWith("new") ? "uidmap" : tool.equals("bwrap") ? "bubblewrap" : "util-linux") + ")");
        }
        TestUser user = make();
        if (user.firstSubordinateUid().isEmpty()) {
            run(List.of(sbin("usermod"), "--add-subuids", "300000-365535", "--add-subgids", "300000-365535", user.name));
        }
        return user;
    }

    /** A user made for the test with no subordinate ids where the tests run as root; else the test's own user. */
    static TestUser withoutSubordinateIds() throws Exception {
        if (JobDirs.myUid() != 0) {
            return new TestUser(System.getProperty("user.name"), JobDirs.myUid(), false);
        }
        for (String tool : List.of("useradd", "userdel")) {
            assumeTrue(Files.isExecutable(Path.of(sbin(tool))), tool + " is not installed");
        }
        assumeTrue(SandboxProbe.onPath("setpriv").isPresent(), "setpriv (util-linux) runs the node as the test user");
        TestUser user = make();
        dropLines(Path.of("/etc/subuid"), user.name);
        dropLines(Path.of("/etc/subgid"), user.name);
        return user;
    }

    private static TestUser make() throws Exception {
        String name = "rzt" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        TestUser user = new TestUser(name, -1, true);
        try {
            run(List.of(sbin("useradd"), "-M", "-U", "-s", "/usr/sbin/nologin", name));
            String id = new String(new ProcessBuilder("id", "-u", name).start().getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8).trim();
            return new TestUser(name, Integer.parseInt(id), true);
        } catch (Exception | AssertionError e) {
            user.close();
            throw e;
        }
    }

    String name() {
        return name;
    }

    int uid() {
        return uid;
    }

    /** The host's first uid of the user's range in /etc/subuid, if it has one. */
    java.util.OptionalLong firstSubordinateUid() throws IOException {
        return firstOf(Path.of("/etc/subuid"));
    }

    /** The host's first gid of the user's range in /etc/subgid, if it has one. */
    java.util.OptionalLong firstSubordinateGid() throws IOException {
        return firstOf(Path.of("/etc/subgid"));
    }

    private java.util.OptionalLong firstOf(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> l.startsWith(name + ":"))
                .mapToLong(l -> Long.parseLong(l.split(":")[1])).findFirst();
    }

    /**
     * {@code main}'s output (stdout and stderr), run with {@code args} as this user in a JVM of its own from
     * {@code /}, with the test's temporary directory and {@code env} (a null value removes a variable);
     * fails the test when it does not end within {@code minutes}.
     */
    String runJava(Class<?> main, Map<String, String> env, int minutes, String... args) throws Exception {
        return runJavaUnderUmask(null, main, env, minutes, args);
    }

    /**
     * {@link #runJava}, its JVM started under {@code umask} (e.g. {@code "027"}, a volunteer's stricter
     * one), or the test's own when null.
     */
    String runJavaUnderUmask(String umask, Class<?> main, Map<String, String> env, int minutes, String... args)
            throws Exception {
        return runJavaFrom(Path.of(System.getProperty("java.home")), umask, main, env, minutes, args);
    }

    /** {@link #runJavaUnderUmask} with the JDK at {@code javaHome}, which becomes the check's {@code java.home}. */
    String runJavaFrom(Path javaHome, String umask, Class<?> main, Map<String, String> env, int minutes, String... args)
            throws Exception {
        String java = javaHome.resolve("bin/java").toString();
        List<String> command = new ArrayList<>();
        if (umask != null) {
            command.addAll(List.of("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh"));
        }
        if (made) {
            command.addAll(List.of(SandboxProbe.onPath("setpriv").orElseThrow().toString(),
                    "--reuid=" + name, "--regid=" + name, "--clear-groups", "--", java, "-cp", readableClassPath()));
        } else {
            command.addAll(List.of(java, "-cp", System.getProperty("java.class.path")));
        }
        command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        command.add(main.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(new File("/")).redirectErrorStream(true);
        env.forEach((k, v) -> {
            if (v == null) {
                builder.environment().remove(k);
            } else {
                builder.environment().put(k, v);
            }
        });
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = p.waitFor(minutes, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly();
        }
        assertThat(ended).as("the check ended within " + minutes + " minutes:\n" + out).isTrue();
        return out;
    }

    /** The test's class path copied where this user can read it (the build's may sit in root's home), once. */
    private String readableClassPath() throws IOException {
        if (classPathCopy != null) {
            throw new IllegalStateException("one check per user");
        }
        classPathCopy = Files.createTempDirectory("testuser-cp", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = classPathCopy.resolve(i++ + (Files.isDirectory(from) ? "" : ".jar"));
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : files.toList()) {
                    Path target = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, Files.isDirectory(from) ? target : to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            entries.add(to.toString());
        }
        try (Stream<Path> all = Files.walk(classPathCopy)) {
            for (Path f : all.toList()) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    @Override
    public void close() throws IOException {
        if (made) {
            try {
                new ProcessBuilder(sbin("userdel"), name).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // userdel removes a user's ranges on recent shadow only.
            dropLines(Path.of("/etc/subuid"), name);
            dropLines(Path.of("/etc/subgid"), name);
        }
        if (classPathCopy != null) {
            JobDirs.deleteTree(classPathCopy);
        }
    }

    private static String sbin(String tool) {
        return SandboxProbe.onPath(tool).map(Path::toString).orElse("/usr/sbin/" + tool);
    }

    private static void dropLines(Path file, String name) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file);
        List<String> kept = lines.stream().filter(l -> !l.startsWith(name + ":")).toList();
        if (kept.size() != lines.size()) {
            Files.write(file, kept);
        }
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(command + ": " + out).isZero();
    }
}
