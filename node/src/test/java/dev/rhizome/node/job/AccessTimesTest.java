package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The doctor's access times check on made-up machines: a job reads each shared file's access time, which a
 * {@code relatime} mount moves at the first read of each day, so it fails (never required) where a mount
 * holding {@code /usr}, {@code /etc} or the JDK keeps them, naming that mount and the remedy.
 */
class AccessTimesTest {
    private static final List<Path> SHOWN = List.of(Path.of("/usr"), Path.of("/etc"), Path.of("/opt/jdk 17"));

    private static String line(int id, String point, String options) {
        return id + " 1 252:1 / " + point + " " + options + " shared:1 - ext4 /dev/vda rw\n";
    }

    @Test
    void aRelatimeRootShowsEveryJobWhenTheVolunteersProgramsRanAndNamesTheRemedy() {
        SandboxReport.Check check = AccessTimes.check(Optional.of(line(20, "/", "rw,relatime")
                + line(21, "/proc", "rw,nosuid,nodev,noexec,relatime")), SHOWN);
        assertThat(check.name()).isEqualTo("access times");
        assertThat(check.ok()).isFalse();
        assertThat(check.required()).isFalse();
        assertThat(check.detail()).startsWith("/ (holding /usr, /etc, /opt/jdk 17) updates access times");
        assertThat(check.fix()).contains("mount / with noatime", "mount -o remount,noatime /");
    }

    @Test
    void eachMountIsJudgedByItsOwnOptionsTheDeepestHoldingEachPlace() {
        // /usr on a noatime mount of its own, the JDK on a read-only one (escaped, as the kernel writes a space):
        // only /etc, on the relatime root, is left.
        SandboxReport.Check check = AccessTimes.check(Optional.of(line(20, "/", "rw,relatime")
                + line(22, "/usr", "rw,noatime") + line(23, "/opt/jdk\\04017", "ro,relatime")), SHOWN);
        assertThat(check.ok()).isFalse();
        assertThat(check.detail()).startsWith("/ (holding /etc) updates access times");

        SandboxReport.Check two = AccessTimes.check(Optional.of(line(20, "/", "rw,relatime")
                + line(22, "/usr", "rw,relatime")), SHOWN);
        assertThat(two.detail()).startsWith("/usr (holding /usr), / (holding /etc, /opt/jdk 17) updates access times");
        assertThat(two.fix()).contains("mount /usr, / with noatime", "mount -o remount,noatime /usr; mount -o remount,noatime /)");
    }

    @Test
    void noatimeOrReadOnlyEverywhereIsOkAndALaterMountAtAPointCoversTheEarlier() {
        SandboxReport.Check quiet = AccessTimes.check(Optional.of(line(20, "/", "rw,noatime")
                + line(23, "/opt/jdk\\04017", "ro")), SHOWN);
        assertThat(quiet.ok()).as(quiet.detail()).isTrue();
        assertThat(quiet.detail()).contains("/usr (/, noatime)", "/opt/jdk 17 (/opt/jdk 17, ro)");
        assertThat(quiet.fix()).isEmpty();

        SandboxReport.Check remounted = AccessTimes.check(Optional.of(line(20, "/", "rw,noatime")
                + line(24, "/", "rw")), SHOWN);
        assertThat(remounted.ok()).isFalse();
    }

    @Test
    void anUnreadableMountTableIsUnknownNotOk() {
        SandboxReport.Check check = AccessTimes.check(Optional.empty(), SHOWN);
        assertThat(check.ok()).isFalse();
        assertThat(check.detail()).startsWith("unknown");
    }
}
