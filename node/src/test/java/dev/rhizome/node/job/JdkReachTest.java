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
