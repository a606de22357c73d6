package dev.rhizome.node.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HardwareProbeTest {
    private static final String X86_CPUINFO = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 143
            model name\t: Intel(R) Xeon(R) Platinum 8480+
            stepping\t: 8
            cpu MHz\t\t: 2000.000

            processor\t: 1
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R) Platinum 8480+
            """;

    private static final String ARM64_CPUINFO = """
            processor\t: 0
            BogoMIPS\t: 50.00
            Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32
            CPU implementer\t: 0x41
            CPU part\t: 0xd0c
            """;

    private static final String RASPBERRY_PI_CPUINFO = """
            Processor\t: ARMv7 Processor rev 4 (v7l)
            processor\t: 0
            BogoMIPS\t: 38.40

            Hardware\t: BCM2835
            Revision\t: a02082
            """;

    @Test
    void cpuModelFromX86CpuInfo() {
        assertThat(HardwareProbe.parseCpuModel(X86_CPUINFO)).hasValue("Intel(R) Xeon(R) Platinum 8480+");
    }

    @Test
    void cpuModelFromArmCpuInfoWhenItSaysOne() {
        assertThat(HardwareProbe.parseCpuModel(RASPBERRY_PI_CPUINFO)).hasValue("BCM2835");
        assertThat(HardwareProbe.parseCpuModel(ARM64_CPUINFO)).isEmpty();
    }

    @Test
    void oneGpu() {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi("NVIDIA H100 80GB HBM3, 81559, 535.104.05\n");

        assertThat(gpus).containsExactly(new Gpu("NVIDIA H100 80GB HBM3", 81559, "535.104.05"));
        assertThat(HardwareProbe.hardwareClass("whatever", gpus)).isEqualTo("gpu:nvidia-h100-80gb-hbm3");
    }

    @Test
    void severalGpusCountInTheClass() {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi("""
                NVIDIA A100-SXM4-40GB, 40960, 550.54.15
                NVIDIA A100-SXM4-40GB, 40960, 550.54.15
                NVIDIA A100-SXM4-40GB, 40960, 550.54.15
                NVIDIA A100-SXM4-40GB, 40960, 550.54.15
                """);

        assertThat(gpus).hasSize(4);
        assertThat(HardwareProbe.hardwareClass("whatever", gpus)).isEqualTo("gpu:nvidia-a100-sxm4-40gb-x4");
    }

    @Test
    void unknownMemoryAndCommasInTheNameAndJunkLines() {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi("""
                NVIDIA GB200, rev 2, [N/A], 570.86.10

                No devices were found
                """);

        assertThat(gpus).containsExactly(new Gpu("NVIDIA GB200, rev 2", 0, "570.86.10"));
    }

    @Test
    void noGpuMeansACpuClass() {
        assertThat(HardwareProbe.parseNvidiaSmi("")).isEmpty();
        assertThat(HardwareProbe.hardwareClass("Intel(R) Xeon(R) Platinum 8480+", List.of()))
                .isEqualTo("cpu:intel-r-xeon-r-platinum-8480");
        assertThat(HardwareProbe.hardwareClass("!!!", List.of())).isEqualTo("cpu:unknown");
    }

    @Test
    void probingThisMachineNeverThrowsAndIsConsistent() {
        Hardware hw = HardwareProbe.probe();

        assertThat(hw.cores()).isPositive();
        assertThat(hw.cpuModel()).isNotBlank();
        assertThat(hw.hardwareClass()).isEqualTo(HardwareProbe.hardwareClass(hw.cpuModel(), hw.gpus()));
    }
}
