package dev.rhizome.node.hardware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Detects CPU and GPUs. GPUs are listed by running nvidia-smi as a child process, as BOINC does:
 * a wedged driver can hang or crash whatever asks it, and that must not take the node down.
 * Every failure means "no GPU", never an exception.
 */
public final class HardwareProbe {
    static final List<String> NVIDIA_SMI = List.of("nvidia-smi",
            "--query-gpu=index,name,memory.total,uuid,driver_version,pci.bus_id", "--format=csv,noheader,nounits");
    /** nvidia-smi's pci.bus_id: domain (4 or 8 hex digits), bus, device, function. */
    private static final Pattern BUS_ID =
            Pattern.compile("[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7]");
    private static final Pattern DRIVER_VERSION = Pattern.compile("\\d+(\\.\\d+)+");
    private static final Duration NVIDIA_SMI_TIMEOUT = Duration.ofSeconds(10);
    /** Keys that name the CPU in /proc/cpuinfo: x86, then older ARM kernels, then POWER. */
    private static final List<String> CPU_MODEL_KEYS = List.of("model name", "Hardware", "Processor", "cpu");

    private HardwareProbe() {
    }

    public static Hardware probe() {
        String cpu = readCpuInfo().flatMap(HardwareProbe::parseCpuModel).orElse(System.getProperty("os.arch"));
        List<Gpu> gpus = ChildCommand.output(NVIDIA_SMI, NVIDIA_SMI_TIMEOUT).map(HardwareProbe::parseNvidiaSmi)
                .orElse(List.of());
        return new Hardware(cpu, Runtime.getRuntime().availableProcessors(), gpus, hardwareClass(cpu, gpus));
    }

    /** The CPU's name from the text of /proc/cpuinfo, if it says. */
    static Optional<String> parseCpuModel(String cpuinfo) {
        for (String key : CPU_MODEL_KEYS) {
            for (String line : cpuinfo.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    String value = line.substring(colon + 1).trim();
                    if (!value.isEmpty()) {
                        return Optional.of(value);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * GPUs from nvidia-smi's {@code index, name, memory.total, uuid, driver_version[, pci.bus_id]}
     * CSV without header or units. A last field shaped like a PCI bus id (or "[N/A]" after a
     * driver version) is the bus column; older recordings have none. The name is everything between the first field and the
     * last three, in case it holds a comma; lines that don't fit (warnings, "No devices were
     * found") are skipped.
     */
    static List<Gpu> parseNvidiaSmi(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        for (String line : csv.split("\n")) {
            String[] fields = line.split(",", -1);
            String busId = "";
            if (fields.length >= 6) {
                String last = fields[fields.length - 1].trim();
                boolean bus = BUS_ID.matcher(last).matches();
                // "[N/A]" after a driver version: the bus column, left unsaid
                if (bus || (last.startsWith("[") && DRIVER_VERSION.matcher(fields[fields.length - 2].trim()).matches())) {
                    busId = bus ? last : "";
                    fields = Arrays.copyOf(fields, fields.length - 1);
                }
            }
            if (fields.length < 5) {
                continue;
            }
            int index;
            try {
                index = Integer.parseInt(fields[0].trim());
            } catch (NumberFormatException e) {
                continue;
            }
            int n = fields.length;
            String name = String.join(",", Arrays.copyOfRange(fields, 1, n - 3)).trim();
            String uuid = fields[n - 2].trim();
            if (!name.isEmpty()) {
                gpus.add(new Gpu(index, name, mebibytes(fields[n - 3].trim()), uuid.startsWith("GPU-") || uuid.startsWith("MIG-")
                        ? uuid : "", fields[n - 1].trim(), busId));
            }
        }
        return gpus;
    }

    /**
     * The machine's class, which it announces: its first GPU's ({@link GpuClasses}), else
     * {@code cpu:<model>} as a slug. Jobs run in the class of the slot that runs them.
     */
    static String hardwareClass(String cpuModel, List<Gpu> gpus) {
        return gpus.isEmpty() ? cpuClass(cpuModel) : gpus.get(0).hardwareClass();
    }

    /** The class of a job on this machine's CPUs. */
    public static String cpuClass(String cpuModel) {
        return "cpu:" + slug(cpuModel);
    }

    /** Lowercase, with every run of other characters than letters and digits turned into one '-'. */
    static String slug(String text) {
        String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return slug.isEmpty() ? "unknown" : slug;
    }

    /** "[N/A]" and other non-numbers: the driver did not say. */
    private static long mebibytes(String field) {
        try {
            return Long.parseLong(field);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Optional<String> readCpuInfo() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
