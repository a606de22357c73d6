package dev.rhizome.node.hardware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Detects CPU and GPUs. GPUs are listed by running nvidia-smi as a child process, as BOINC does:
 * a wedged driver can hang or crash whatever asks it, and that must not take the node down.
 * Every failure means "no GPU", never an exception.
 */
public final class HardwareProbe {
    static final List<String> NVIDIA_SMI = List.of("nvidia-smi",
            "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits");
    private static final long NVIDIA_SMI_TIMEOUT_SECONDS = 10;
    /** Keys that name the CPU in /proc/cpuinfo: x86, then older ARM kernels, then POWER. */
    private static final List<String> CPU_MODEL_KEYS = List.of("model name", "Hardware", "Processor", "cpu");

    private HardwareProbe() {
    }

    public static Hardware probe() {
        String cpu = readCpuInfo().flatMap(HardwareProbe::parseCpuModel).orElse(System.getProperty("os.arch"));
        List<Gpu> gpus = runNvidiaSmi().map(HardwareProbe::parseNvidiaSmi).orElse(List.of());
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
     * GPUs from nvidia-smi's {@code name, memory.total, driver_version} CSV without header or
     * units. The name is everything before the last two fields, in case it holds a comma; lines
     * that don't fit are skipped.
     */
    static List<Gpu> parseNvidiaSmi(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        for (String line : csv.split("\n")) {
            int last = line.lastIndexOf(',');
            int middle = last > 0 ? line.lastIndexOf(',', last - 1) : -1;
            if (middle <= 0) {
                continue;
            }
            String name = line.substring(0, middle).trim();
            String driver = line.substring(last + 1).trim();
            if (!name.isEmpty()) {
                gpus.add(new Gpu(name, mebibytes(line.substring(middle + 1, last).trim()), driver));
            }
        }
        return gpus;
    }

    /** {@code gpu:<first GPU>} with {@code -x<n>} for n GPUs, else {@code cpu:<model>}; both as slugs. */
    static String hardwareClass(String cpuModel, List<Gpu> gpus) {
        if (gpus.isEmpty()) {
            return "cpu:" + slug(cpuModel);
        }
        return "gpu:" + slug(gpus.get(0).name()) + (gpus.size() > 1 ? "-x" + gpus.size() : "");
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

    /** nvidia-smi's output, or empty when it is missing, fails or hangs. */
    private static Optional<String> runNvidiaSmi() {
        Path out = null;
        Process process = null;
        try {
            // A file rather than a pipe: a hung nvidia-smi can't block a read we can't time out.
            out = Files.createTempFile("rhizome-nvidia-smi", ".csv");
            process = new ProcessBuilder(NVIDIA_SMI)
                    .redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(NVIDIA_SMI_TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return Optional.empty();
            }
            return Optional.of(Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // A stray temp file is not worth failing the probe for.
                }
            }
        }
    }
}
