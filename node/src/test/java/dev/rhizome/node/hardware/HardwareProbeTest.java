package dev.rhizome.node.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
    void oneGpu() throws Exception {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi(fixture("one-h100.csv"));

        assertThat(gpus).containsExactly(new Gpu(0, "NVIDIA H100 80GB HBM3", 81559,
                "GPU-2b1f6d4e-7c1a-3f0e-9d55-6a0f4e1c8b21", "535.104.05"));
        assertThat(gpus.get(0).hardwareClass()).isEqualTo("gpu:nvidia-h100-80gb");
        assertThat(gpus.get(0).cudaVisibleDevice()).isEqualTo("GPU-2b1f6d4e-7c1a-3f0e-9d55-6a0f4e1c8b21");
        assertThat(HardwareProbe.hardwareClass("whatever", gpus)).isEqualTo("gpu:nvidia-h100-80gb");
    }

    @Test
    void twoConsumerGpusOfDifferentModelsGetOneClassEach() throws Exception {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi(fixture("two-mixed.csv"));

        assertThat(gpus).extracting(Gpu::index).containsExactly(0, 1);
        assertThat(gpus).extracting(Gpu::hardwareClass)
                .containsExactly("gpu:nvidia-rtx-4090-24gb", "gpu:nvidia-rtx-3090-24gb");
    }

    @Test
    void eightGpusOfSixModels() throws Exception {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi(fixture("eight-mixed.csv"));

        assertThat(gpus).extracting(Gpu::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(gpus).extracting(Gpu::hardwareClass).containsExactly(
                "gpu:nvidia-a100-40gb", "gpu:nvidia-a100-40gb", "gpu:nvidia-a100-80gb", "gpu:nvidia-h100-80gb",
                "gpu:nvidia-v100-16gb", "gpu:nvidia-t4-16gb", "gpu:nvidia-rtx-a6000-48gb", "gpu:nvidia-h200-141gb");
        assertThat(gpus).extracting(Gpu::uuid).doesNotHaveDuplicates().allMatch(u -> u.startsWith("GPU-"));
    }

    @Test
    void theBoardAndMemoryTypeDoNotSplitAClassButTheMemorySizeDoes() {
        assertThat(GpuClasses.of("NVIDIA H100 80GB HBM3", 81559)).isEqualTo(GpuClasses.of("NVIDIA H100 PCIe", 81559))
                .isEqualTo(GpuClasses.of("H100-SXM5-80GB", 81920));
        assertThat(GpuClasses.of("NVIDIA A100-SXM4-40GB", 40960)).isNotEqualTo(GpuClasses.of("NVIDIA A100-SXM4-80GB", 81920));
        assertThat(GpuClasses.of("Mystery", 0)).isEqualTo("gpu:nvidia-mystery");
        assertThat(GpuClasses.of("NVIDIA", 8192)).isEqualTo("gpu:nvidia-unknown-8gb");
        assertThat(GpuClasses.marketedGb(81559)).isEqualTo(80);
        assertThat(GpuClasses.marketedGb(15360)).isEqualTo(16);
        assertThat(GpuClasses.marketedGb(24564)).isEqualTo(24);
        assertThat(GpuClasses.marketedGb(2_000_000)).isEqualTo(1953);
    }

    @Test
    void theBusIdColumnIsReadWhenPresent() {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi("""
                0, NVIDIA H100 80GB HBM3, 81559, GPU-aaaa, 550.54.15, 00000000:17:00.0
                1, NVIDIA GB200, rev 2, [N/A], GPU-bbbb, 570.86.10, 00000000:AB:00.0
                2, NVIDIA A100-SXM4-40GB, 40960, GPU-cccc, 550.54.15, [N/A]
                """);

        assertThat(gpus).containsExactly(
                new Gpu(0, "NVIDIA H100 80GB HBM3", 81559, "GPU-aaaa", "550.54.15", "00000000:17:00.0"),
                new Gpu(1, "NVIDIA GB200, rev 2", 0, "GPU-bbbb", "570.86.10", "00000000:AB:00.0"),
                new Gpu(2, "NVIDIA A100-SXM4-40GB", 40960, "GPU-cccc", "550.54.15", ""));
        assertThat(HardwareProbe.NVIDIA_SMI.get(1)).endsWith(",pci.bus_id");
    }

    @Test
    void unknownMemoryCommasInTheNameAndJunkLines() {
        List<Gpu> gpus = HardwareProbe.parseNvidiaSmi("""
                0, NVIDIA GB200, rev 2, [N/A], [N/A], 570.86.10

                No devices were found
                Failed to initialize NVML: Driver/library version mismatch
                """);

        assertThat(gpus).containsExactly(new Gpu(0, "NVIDIA GB200, rev 2", 0, "", "570.86.10"));
        assertThat(gpus.get(0).cudaVisibleDevice()).isEqualTo("0");
        assertThat(gpus.get(0).hardwareClass()).isEqualTo("gpu:nvidia-gb200-rev-2");
    }

    @Test
    void gpuSamplesParseAndNonAnswersAreNoSample() {
        assertThat(GpuSampler.parse("31245, 97\n")).hasValue(new GpuSampler.Sample(31245, 97));
        assertThat(GpuSampler.parse("[N/A], [N/A]\n")).isEmpty();
        assertThat(GpuSampler.parse("")).isEmpty();
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

    private static String fixture(String name) throws Exception {
        try (var in = HardwareProbeTest.class.getResourceAsStream("/nvidia-smi/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
