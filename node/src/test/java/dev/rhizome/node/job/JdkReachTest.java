package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JDK under a 0750 home is out of reach of a subordinate uid's jobs (neither the volunteer's uid nor
 * group), so the doctor's trial job fails and says {@code shared}: it must then name the directory that
 * blocks and the remedy, not only the subordinate ids the user already has.
 */
class JdkReachTest {
    @TempDir
    Path dir;

    @Test
    void aJdkUnderA0750HomeIsBlockedThereAndTheRemedyNamesThatDirectoryFirst() throws Exception {
        Path home = Files.createDirectory(dir.resolve("ada"));
        Path jdk = Files.createDirectories(home.resolve(".sdkman/candidates/java/21"));
        Path sdkman = home.resolve(".sdkman");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-x---"));
        Files.setPosixFilePermissions(sdkman, PosixFilePermissions.fromString("rwx------"));
        // a link on the way is followed as bubblewrap's bind follows it
        Path link = Files.createSymbolicLink(dir.resolve("current-jdk"), jdk);

        List<Path> blocking = JdkReach.blocking(link);

        assertThat(blocking).containsExactly(home.toRealPath(), sdkman.toRealPath());
        String remedy = JdkReach.remedy(link).orElseThrow();
        assertThat(remedy).contains(home.toRealPath() + " (rwxr-x---) lets no other user pass",
                "a JDK outside the home", "chmod o+x " + home.toRealPath() + " " + sdkman.toRealPath());
    }

    @Test
    void theDoctorOfANodeWhoseJdkIsUnderA0750HomeSaysSharedAndNamesTheHome() throws Exception {
        Path jdk = Path.of(System.getProperty("java.home")).toRealPath();
        try (TestUser user = TestUser.withSubordinateIds()) {
            // The node user's home, 0750, holding a JDK: the test's own, hard-linked (no copy of its bytes).
            Path home = Files.createDirectory(dir.resolve("home"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path own = home.resolve("jdk");
            Process cp = new ProcessBuilder("cp", "-al", jdk.toString(), own.toString()).redirectErrorStream(true).start();
            String cpOut = new String(cp.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            org.junit.jupiter.api.Assumptions.assumeTrue(cp.waitFor() == 0, "the JDK hard-linked under a home: " + cpOut);
            Files.setAttribute(home, "unix:uid", user.uid());
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-x---"));

            String out = user.runJavaFrom(own, null, JdkReachCheck.class, java.util.Map.of(), 5);

            assertThat(out).as(out).contains("JAVA_HOME " + own + "\n", "JOB_USER_OK false\n", "JOB_UID shared\n",
                    "a trial job as a subordinate uid failed");
            String fix = home.toRealPath() + " (rwxr-x---) lets no other user pass";
            String chmod = "chmod o+x " + home.toRealPath();
            assertThat(out).as(out).contains("FIX the node's JDK (" + own + ")", "JSON_FIX the node's JDK (" + own + ")");
            assertThat(out.lines().filter(l -> l.startsWith("FIX ") || l.startsWith("JSON_FIX ")))
                    .as(out).hasSize(2).allMatch(l -> l.contains(fix) && l.contains(chmod));
        } finally {
            JobDirs.deleteTree(dir.resolve("home"));
        }
    }

    @Test
    void aJdkEveryoneMayPassNeedsNoRemedy() throws Exception {
        Path jdk = Files.createDirectories(dir.resolve("opt/jdk"));
        for (Path d : List.of(dir, dir.resolve("opt"), jdk)) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-x--x"));
        }

        assertThat(JdkReach.blocking(jdk)).isEmpty();
        assertThat(JdkReach.remedy(jdk)).isEmpty();
    }

    @Test
    void aModeThatCannotBeReadClaimsNothing() {
        assertThat(JdkReach.blocking(Path.of("/home/ada/jdk"), d -> Optional.empty())).isEmpty();
        assertThat(JdkReach.remedy(dir.resolve("missing"))).isEmpty();
    }
}
