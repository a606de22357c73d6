package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The NVIDIA devices and driver libraries a job needs to use this node's GPUs, found on the
 * machine: the sandbox shows a job no device it was not given, so CUDA works inside only when
 * these are passed explicitly, as the NVIDIA container toolkit does for containers.
 *
 * @param devices      device nodes to bind: /dev/nvidiactl, /dev/nvidia-uvm(-tools), /dev/nvidia-modeset,
 *                     /dev/nvidia0..N, /dev/nvidia-caps
 * @param libraryDirs  directories that hold the driver's user-space libraries (libcuda, libnvidia-*)
 */
public record GpuPassthrough(List<Path> devices, List<Path> libraryDirs) {
    public static final GpuPassthrough NONE = new GpuPassthrough(List.of(), List.of());

    private static final Path DEV = Path.of("/dev");
    private static final Pattern DEVICE = Pattern.compile("nvidia(\\d+|ctl|-uvm|-uvm-tools|-modeset|-caps)");
    private static final Pattern GPU = Pattern.compile("nvidia\\d+");
    private static final Pattern DRIVER_LIBRARY = Pattern.compile(
            "lib(cuda|cudadebugger|nvidia-[a-z0-9-]+|nvcuvid|nvoptix)\\.so(\\..*)?");

    public GpuPassthrough {
        devices = List.copyOf(devices);
        libraryDirs = List.copyOf(libraryDirs);
    }

    /**
     * What this machine has: nothing unless both the control device and at least one GPU device
     * exist (a driver without a GPU, or a GPU without its driver loaded, can't run CUDA anyway).
     */
    public static GpuPassthrough discover(HostView host) {
        List<Path> devices = new ArrayList<>();
        boolean gpu = false;
        boolean control = false;
        for (Path p : host.children(DEV)) {
            String name = p.getFileName().toString();
            if (DEVICE.matcher(name).matches()) {
                devices.add(p);
                gpu |= GPU.matcher(name).matches();
                control |= name.equals("nvidiactl");
            }
        }
        if (!gpu || !control) {
            return NONE;
        }
        TreeSet<Path> dirs = new TreeSet<>();
        for (Path lib : host.sharedLibraries()) {
            Path name = lib.getFileName();
            if (name != null && DRIVER_LIBRARY.matcher(name.toString()).matches() && lib.getParent() != null) {
                dirs.add(lib.getParent());
            }
        }
        return new GpuPassthrough(devices, List.copyOf(dirs));
    }

    public boolean present() {
        return !devices.isEmpty();
    }

    /** How many GPUs (numbered device nodes) are passed. */
    public int gpuCount() {
        return (int) devices.stream().filter(d -> GPU.matcher(Objects.toString(d.getFileName())).matches()).count();
    }
}
