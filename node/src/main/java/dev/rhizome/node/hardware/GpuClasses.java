package dev.rhizome.node.hardware;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hardware class of one GPU, from its model name and memory: {@code gpu:nvidia-<model>-<n>gb}.
 * Results are compared and replicated only within a class, so two boards that run the same
 * chip with the same memory must land in one class whatever the driver calls them:
 *
 * <ol>
 *   <li>the name is lowercased and split into words at anything but letters and digits;</li>
 *   <li>words that name the vendor or a product line ({@code nvidia}, {@code tesla},
 *       {@code geforce}, {@code quadro}), the board's interface ({@code sxm*}, {@code pcie},
 *       {@code nvl}), the memory's type ({@code hbm*}, {@code gddr*}) or its size ({@code 80gb})
 *       are dropped;</li>
 *   <li>the memory is the size in the name when it says one, else the total the driver reports
 *       rounded up to the nearest size GPUs are sold with (a 80 GB H100 reports 81559 MiB, a 16 GB
 *       T4 15360 MiB), so a driver that reserves a little more next year keeps the class;</li>
 *   <li>{@code nvidia-} is put back in front.</li>
 * </ol>
 * So "NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe" (81559 MiB) and "H100-SXM5-80GB" are all
 * {@code gpu:nvidia-h100-80gb}; "Tesla V100-SXM2-16GB" is {@code gpu:nvidia-v100-16gb}. The
 * board's interface is dropped knowingly: an SXM H100 is somewhat faster than a PCIe one, which a
 * step budget does not see and a wall-clock budget's tolerance must absorb.
 */
public final class GpuClasses {
    private static final Set<String> NOISE = Set.of("nvidia", "tesla", "geforce", "quadro", "pcie", "nvl", "graphics");
    private static final Pattern NOISE_PATTERN = Pattern.compile("sxm\\d*|hbm\\d*e?|gddr\\d*x?|\\d+gb");
    private static final Pattern SIZE_IN_NAME = Pattern.compile("(\\d+)gb");
    /** Memory sizes (GB) GPUs are sold with, ascending. */
    private static final int[] MARKETED_GB = {1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 16, 20, 24, 32, 40, 48, 64, 80, 94, 96,
        128, 141, 144, 180, 186, 192, 256, 288};

    private GpuClasses() {
    }

    public static String of(String name, long memoryMiB) {
        String lower = name.toLowerCase(Locale.ROOT);
        List<String> words = new ArrayList<>();
        Integer sizeInName = null;
        for (String word : lower.split("[^a-z0-9]+")) {
            if (word.isEmpty()) {
                continue;
            }
            Matcher size = SIZE_IN_NAME.matcher(word);
            if (size.matches()) {
                sizeInName = Integer.parseInt(size.group(1));
            }
            if (!NOISE.contains(word) && !NOISE_PATTERN.matcher(word).matches()) {
                words.add(word);
            }
        }
        String model = words.isEmpty() ? "unknown" : String.join("-", words);
        long gb = sizeInName != null ? sizeInName : marketedGb(memoryMiB);
        return "gpu:nvidia-" + model + (gb > 0 ? "-" + gb + "gb" : "");
    }

    /** The smallest marketed size not below what the driver reports, less a quarter GB of slack; 0 if unknown. */
    static long marketedGb(long memoryMiB) {
        if (memoryMiB <= 0) {
            return 0;
        }
        double gib = memoryMiB / 1024.0;
        for (int size : MARKETED_GB) {
            if (size >= gib - 0.25) {
                return size;
            }
        }
        return Math.round(gib);
    }
}
