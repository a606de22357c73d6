package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Which directories every job sees are overlays of the job's own (a file lock there meets no other job's) and
 * which stay binds of the host's, on made-up machines; the real sandbox's locks are {@code FileLockChannelProbeTest}'s.
 */
class SharedTreesTest {
    private static final Path EMPTY = Path.of("/tmp/rhizome-jobs-1000-abc/rhizome-shown-7/empty-layer");
    private static final Path CHECKOUT = Path.of("/tmp/rhizome-jobs-1000-abc/unit-1");
    private static final Path SEED = Path.of("/srv/seed");
    private static final Confinement JOB = new Confinement(CHECKOUT, List.of(CHECKOUT),
            List.of(Path.of("/opt/jdk-17"), SEED), Map.of("HOME", CHECKOUT.toString()));
    private static final String MOUNTINFO = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
            40 22 254:1 / /opt/jdk-17/lib/big rw,relatime shared:9 - ext4 /dev/vdb rw
            """;

    private static SandboxPlan plan(boolean overlays) {
        return new SandboxPlan(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"), Path.of("/usr/bin/setpriv"),
                OptionalInt.empty(), new SandboxLimits(1L << 30, 512, 64L << 20), SandboxPlan.MemoryLimit.CGROUP,
                GpuPassthrough.NONE, overlays);
    }

    private static FakeHost host() {
        return FakeHost.debian().file("/usr/bin", "/usr/bin/python3", "/etc/java-17-openjdk/security", "/opt/jdk-17",
                "/opt/jdk-17/release", "/opt/jdk-17/lib", "/srv/seed", "/srv/seed/weights.bin")
                .text("/proc/self/mountinfo", MOUNTINFO);
    }

    private static List<String> options(SandboxPlan plan, HostView host, Map<String, Path> copies) {
        return BwrapCommand.options(plan, JOB, true, host, true, copies, Optional.of(EMPTY));
    }

    /** Each "--ro-overlay" as "lower... -> dest". */
    private static List<String> overlays(List<String> argv) {
        List<String> found = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            if (argv.get(i).equals("--overlay-src")) {
                sources.add(argv.get(++i));
            } else if (argv.get(i).equals("--ro-overlay")) {
                found.add(String.join(":", sources) + " -> " + argv.get(++i));
                sources.clear();
            }
        }
        return found;
    }

    @Test
    void withOverlaysEachSharedDirectoryIsTheJobsOwnOverTheEmptyLayer() {
        List<String> argv = options(plan(true), host(), Map.of());
        assertThat(overlays(argv)).contains(
                "/usr:" + EMPTY + " -> /usr",
                "/etc/java-17-openjdk:" + EMPTY + " -> /etc/java-17-openjdk",
                "/srv/seed:" + EMPTY + " -> /srv/seed");
        // The checkout stays the job's writable bind; nothing writable is an overlay.
        assertThat(String.join(" ", argv)).contains("--bind " + CHECKOUT + " /job")
                .doesNotContain("--ro-bind /usr /usr", "--ro-bind /srv/seed /srv/seed");
    }

    @Test
    void aDirectoryWithAnotherMountBelowStaysABindSinceAnOverlayWouldHideThatMount() {
        List<String> argv = options(plan(true), host(), Map.of());
        assertThat(overlays(argv)).noneMatch(o -> o.endsWith("-> /opt/jdk-17"));
        assertThat(String.join(" ", argv)).contains("--ro-bind /opt/jdk-17 /opt/jdk-17");
    }

    @Test
    void whereTheMountsCannotBeReadEverythingIsBound() {
        FakeHost unreadable = FakeHost.debian().file("/usr/bin", "/usr/bin/python3");
        assertThat(overlays(options(plan(true), unreadable, Map.of()))).isEmpty();
        assertThat(String.join(" ", options(plan(true), unreadable, Map.of()))).contains("--ro-bind /usr /usr");
    }

    @Test
    void aPlanWithoutOverlaysBindsAsBefore() {
        List<String> argv = options(plan(false), host(), Map.of());
        assertThat(overlays(argv)).isEmpty();
        assertThat(String.join(" ", argv)).contains("--ro-bind /usr /usr", "--ro-bind /srv/seed /srv/seed",
                "--ro-bind-try /etc/java-17-openjdk /etc/java-17-openjdk")
                .doesNotContain(EMPTY.toString());
    }

    @Test
    void aCopiedEtcFileIsBoundInTheHostsPlaceWithOrWithoutOverlays() {
        Path copy = Path.of("/tmp/rhizome-jobs-1000-abc/rhizome-shown-7/etc-1.tmp");
        for (boolean overlays : new boolean[] {true, false}) {
            String argv = String.join(" ", options(plan(overlays), host(), Map.of("/etc/ld.so.cache", copy)));
            assertThat(argv).contains("--ro-bind " + copy + " /etc/ld.so.cache")
                    .doesNotContain("--ro-bind-try /etc/ld.so.cache");
        }
    }

    @Test
    void bubblewrapOffersOverlaysFrom0_11AndTheLayersAreCheckedAsBindSourcesAre() {
        assertThat(SharedTrees.offeredBy("    --overlay-src SRC            Read files from SRC in the following overlay\n"
                + "    --ro-overlay DEST            Mount overlayfs read-only on DEST\n")).isTrue();
        assertThat(SharedTrees.offeredBy("    --ro-bind SRC DEST           Bind mount the host path SRC readonly on DEST\n"))
                .isFalse();
        assertThat(JobReach.bindSources(options(plan(true), host(), Map.of())))
                .contains(Path.of("/usr"), EMPTY, SEED);
    }

    @Test
    void onlySmallRegularFilesOfEtcAreCopied() {
        HostView sized = new HostView() {
            @Override
            public boolean exists(Path path) {
                return host().exists(path);
            }

            @Override
            public Optional<Path> symlinkTarget(Path path) {
                return host().symlinkTarget(path);
            }

            @Override
            public List<Path> children(Path dir) {
                return host().children(dir);
            }

            @Override
            public List<Path> sharedLibraries() {
                return List.of();
            }

            @Override
            public Optional<String> readText(Path path) {
                return Optional.empty();
            }

            @Override
            public java.util.OptionalLong regularFileSize(Path path) {
                return path.equals(Path.of("/etc/ld.so.cache")) ? java.util.OptionalLong.of(90_000)
                        : path.equals(Path.of("/etc/ld.so.conf")) ? java.util.OptionalLong.of(BwrapCommand.ETC_COPY_MAX + 1)
                        : java.util.OptionalLong.empty();
            }
        };
        // /etc/alternatives is a directory (no size): shown as the host's, as an overlay where the plan has them.
        assertThat(BwrapCommand.etcCopies(sized)).containsExactly(Path.of("/etc/ld.so.cache"));
    }
}
