package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.hardware.Gpu;
import dev.rhizome.node.work.SlotEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which NVIDIA device nodes each job's sandbox binds, on a machine laid out as real files in a
 * temporary directory (its /dev and the driver's /proc/driver/nvidia/gpus): a GPU slot's job
 * gets the control devices and its own GPU's node, never another's; a CPU slot's job none. The
 * driver numbers this machine's device nodes in another order than nvidia-smi's indices, as it
 * may, so the node is found by the GPU's PCI bus id.
 */
class GpuIsolationTest {
    /**
     * What every GPU job is given besides its GPU: not the display driver's device, nor the capability devices (MIG's
     * config and monitor rights over every GPU), which the machine has too.
     */
    /** The shared devices CUDA opens; not UVM's tools device, the profilers' (round 37), found but given to no job. */
    private static final List<String> CONTROL = List.of("/dev/nvidia-uvm", "/dev/nvidiactl");
    /** nvidia-smi index -> (bus id as nvidia-smi writes it, the driver's device minor). */
    private static final String[] BUS = {"00000000:17:00.0", "00000000:2A:00.0", "00000000:3D:00.0",
        "00000000:63:00.0", "00000000:AB:00.0", "00000000:BD:00.0", "00000000:CF:00.0", "00000000:DB:00.0"};
    private static final int[] MINOR = {2, 0, 1, 5, 3, 4, 7, 6};

    @TempDir
    Path root;
    private HostView machine;
    private Path checkout;

    @BeforeEach
    void layOutAnEightGpuMachine() throws IOException {
        Path dev = Files.createDirectories(root.resolve("dev"));
        for (int minor = 0; minor < 8; minor++) {
            Files.createFile(dev.resolve("nvidia" + minor));
        }
        for (String name : List.of("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset", "null", "sda",
                "nvme0n1")) {
            Files.createFile(dev.resolve(name));
        }
        Files.createDirectories(dev.resolve("nvidia-caps"));
        Files.createFile(dev.resolve("nvidia-caps").resolve("nvidia-cap1"));
        Path caps = Files.createDirectories(root.resolve("proc/driver/nvidia/capabilities/mig"));
        Files.writeString(caps.resolve("config"), "DeviceFileMinor: 1\nDeviceFileMode: 256\nDeviceFileModify: 1\n");
        Files.writeString(caps.resolve("monitor"), "DeviceFileMinor: 2\nDeviceFileMode: 292\nDeviceFileModify: 1\n");
        for (int i = 0; i < 8; i++) {
            // the driver's directory names the bus with a 4-digit domain, in lower case
            Path gpu = Files.createDirectories(root.resolve("proc/driver/nvidia/gpus")
                    .resolve(BUS[i].substring(4).toLowerCase()));
            Files.writeString(gpu.resolve("information"), """
                    Model: \t\t NVIDIA H100 80GB HBM3
                    IRQ:   \t\t 0
                    GPU UUID: \t GPU-%d
                    Bus Type: \t PCIe
                    Bus Location: \t %s
                    Device Minor: \t %d
                    GPU Excluded:\t No
                    """.formatted(i, BUS[i].substring(4).toLowerCase(), MINOR[i]));
        }
        machine = HostView.rootedAt(root);
        checkout = Files.createDirectories(root.resolve("work/unit-1"));
    }

    @Test
    void theMachineIsFoundWithEveryGpuAndItsDeviceMinor() {
        GpuPassthrough gpus = GpuPassthrough.discover(machine);

        assertThat(gpus.gpuCount()).isEqualTo(8);
        assertThat(gpus.devices()).extracting(Path::toString).contains("/dev/nvidia0", "/dev/nvidia7")
                .containsAll(CONTROL).contains("/dev/nvidia-caps", "/dev/nvidia-modeset", "/dev/nvidia-uvm-tools")
                .doesNotContain("/dev/sda", "/dev/nvme0n1", "/dev/null");
        assertThat(gpus.minorByBusId()).hasSize(8).containsEntry("0000:17:00.0", 2).containsEntry("0000:63:00.0", 5);
    }

    @Test
    void slotZerosJobGetsTheControlDevicesAndItsOwnGpuOnly() {
        assertThat(gpuDevices(SlotEnv.of(Optional.of(gpu(0, BUS[0])))))
                .containsExactlyInAnyOrderElementsOf(plus(CONTROL, "/dev/nvidia2"));
    }

    @Test
    void slotThreesJobGetsTheControlDevicesAndItsOwnGpuOnly() {
        assertThat(gpuDevices(SlotEnv.of(Optional.of(gpu(3, BUS[3])))))
                .containsExactlyInAnyOrderElementsOf(plus(CONTROL, "/dev/nvidia5"));
    }

    @Test
    void aGpuJobSeesTheDriversEntryOfItsOwnGpuAloneAndNoDisplayDevice() {
        assertThat(GpuPassthrough.discover(machine).devices()).as("found, for the doctor")
                .contains(Path.of("/dev/nvidia-modeset"));
        List<String> argv = argv(SlotEnv.of(Optional.of(gpu(3, BUS[3]))), GpuPassthrough.discover(machine));
        String joined = String.join(" ", argv);

        // slot 3's GPU is on bus 63, the driver's minor 5: its entry, bound over the hidden list, and no other's
        assertThat(joined).contains("--tmpfs /proc/driver/nvidia/gpus",
                "--ro-bind /proc/driver/nvidia/gpus/0000:63:00.0 /proc/driver/nvidia/gpus/0000:63:00.0",
                "--remount-ro /proc/driver/nvidia/gpus").doesNotContain("nvidia-modeset", "nvidia-caps", "nvidia-cap1",
                "nvidia-uvm-tools");
        // round 36: MIG's rights in the driver's /proc (in its /proc mode, opening mig/monitor is the right), hidden whole
        assertThat(joined).contains("--tmpfs /proc/driver/nvidia/capabilities", "--remount-ro /proc/driver/nvidia/capabilities")
                .doesNotContain("capabilities/mig");
        assertThat(joined.indexOf("--tmpfs /proc/driver/nvidia/gpus")).as("the entry is bound in the hidden list")
                .isLessThan(joined.indexOf("--ro-bind /proc/driver/nvidia/gpus/0000:63:00.0"));
        assertThat(joined.indexOf("--ro-bind /proc/driver/nvidia/gpus/0000:63:00.0"))
                .isLessThan(joined.indexOf("--remount-ro /proc/driver/nvidia/gpus"));
        for (int i = 0; i < BUS.length; i++) {
            if (i != 3) {
                assertThat(joined).doesNotContain(BUS[i].substring(4).toLowerCase());
            }
        }
        // a bus the driver does not list: the minor is the index, and no entry of another GPU is shown for it
        String unlisted = String.join(" ", argv(Map.of("RHIZOME_GPU_INDEX", "6", "RHIZOME_GPU_BUS_ID", "0000:01:00.0"),
                GpuPassthrough.discover(machine)));
        assertThat(unlisted).contains("--tmpfs /proc/driver/nvidia/gpus", "--dev-bind /dev/nvidia6 /dev/nvidia6")
                .doesNotContain("--ro-bind /proc/driver/nvidia/gpus/0000:cf:00.0");
        assertThat(unlisted).as("minor 6 is the GPU on bus db's, which the driver lists")
                .contains("--ro-bind /proc/driver/nvidia/gpus/0000:db:00.0 /proc/driver/nvidia/gpus/0000:db:00.0");
    }

    @Test
    void aCpuSlotsJobGetsNoNvidiaDeviceAndNoDriverLibrary() {
        List<String> argv = argv(SlotEnv.of(Optional.empty()), new GpuPassthrough(GpuPassthrough.discover(machine)
                .devices(), List.of(Path.of("/opt/nvidia/lib64")), GpuPassthrough.discover(machine).minorByBusId()));

        assertThat(String.join(" ", argv)).doesNotContain("/dev/nvidia", "/opt/nvidia").as("bounded, unlike a GPU job")
                .contains("--as=");
    }

    @Test
    void withoutTheBusIdTheMinorIsAssumedToBeTheIndex() {
        assertThat(gpuDevices(SlotEnv.of(Optional.of(gpu(3, ""))))).containsExactlyInAnyOrderElementsOf(
                plus(CONTROL, "/dev/nvidia3"));
        assertThat(gpuDevices(Map.of("RHIZOME_GPU_INDEX", "6", "RHIZOME_GPU_BUS_ID", "0000:01:00.0")))
                .as("a bus the driver does not list").containsExactlyInAnyOrderElementsOf(plus(CONTROL, "/dev/nvidia6"));
    }

    @Test
    void aGpuWithoutADeviceNodeIsAnErrorNotAnUnconfinedJob() {
        assertThatThrownBy(() -> gpuDevices(Map.of("RHIZOME_GPU_INDEX", "9")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/dev/nvidia9");
        assertThatThrownBy(() -> gpuDevices(Map.of("RHIZOME_GPU_INDEX", "one")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RHIZOME_GPU_INDEX");
    }

    @Test
    void aGpuNamedByIndexIsCudasDeviceZeroInside() {
        List<String> byIndex = argv(SlotEnv.of(Optional.of(new Gpu(3, "NVIDIA H100 80GB HBM3", 81559, "", "550",
                BUS[3]))), GpuPassthrough.discover(machine));
        assertThat(String.join(" ", byIndex)).contains("--setenv CUDA_VISIBLE_DEVICES 0");

        List<String> byUuid = argv(SlotEnv.of(Optional.of(gpu(3, BUS[3]))), GpuPassthrough.discover(machine));
        assertThat(byUuid).doesNotContain("--setenv");
    }

    @Test
    void busIdsAreComparedWhicheverToolWroteThem() {
        assertThat(GpuPassthrough.busKey("00000000:AB:00.0")).hasValue("0000:ab:00.0");
        assertThat(GpuPassthrough.busKey("0000:ab:00.0")).hasValue("0000:ab:00.0");
        assertThat(GpuPassthrough.busKey("00000001:2a:00.1")).hasValue("0001:2a:00.1");
        assertThat(GpuPassthrough.busKey("")).isEmpty();
        assertThat(GpuPassthrough.busKey("[N/A]")).isEmpty();
    }

    private static Gpu gpu(int index, String bus) {
        return new Gpu(index, "NVIDIA H100 80GB HBM3", 81559, "GPU-" + index, "550", bus);
    }

    private static List<String> plus(List<String> control, String gpu) {
        List<String> all = new ArrayList<>(control);
        all.add(gpu);
        return all;
    }

    /** The device nodes the job's sandbox binds. */
    private List<String> gpuDevices(Map<String, String> env) {
        List<String> argv = argv(env, GpuPassthrough.discover(machine));
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            if (argv.get(i).equals("--dev-bind")) {
                assertThat(argv.get(i + 2)).isEqualTo(argv.get(i + 1));
                devices.add(argv.get(i + 1));
            }
        }
        return devices;
    }

    private List<String> argv(Map<String, String> env, GpuPassthrough gpus) {
        SandboxPlan plan = new SandboxPlan(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"),
                Path.of("/usr/bin/setpriv"), OptionalInt.empty(), new SandboxLimits(1L << 30, 512, 64L << 20),
                SandboxPlan.MemoryLimit.NONE, gpus);
        return BwrapCommand.argv(plan, List.of("python3", "train.py"),
                new Confinement(checkout, List.of(checkout), List.of(), env), Optional.empty(),
                new BwrapCommand.Inputs(Optional.empty(), Path.of("/tmp/p"), Path.of("/tmp/g"), Path.of("/tmp/b"),
                        Path.of("/tmp/h"), java.util.Map.of(), Optional.empty()), machine);
    }
}
