package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NVIDIA devices and driver libraries this node's GPUs need, found on the machine, and which
 * of them each job is given: the sandbox shows a job no device it was not given, so CUDA works
 * inside only when these are passed explicitly, as the NVIDIA container toolkit does for
 * containers. A GPU slot's job gets the shared control devices and its own GPU's device node; a
 * CPU job gets none of them.
 *
 * <p>A GPU's device node is {@code /dev/nvidia<minor>}, where the minor number is the driver's,
 * and need not be nvidia-smi's index. The driver says which minor each GPU has in
 * {@code /proc/driver/nvidia/gpus/<bus id>/information} ("Device Minor:"), so a job whose slot
 * knows its GPU's PCI bus id gets that minor's node; without the bus id (or that file), the minor
 * is assumed to equal the index, which holds on machines where the driver numbers GPUs in PCI bus
 * order, as nvidia-smi does.
 *
 * @param devices      device nodes found: /dev/nvidiactl, /dev/nvidia-uvm(-tools), /dev/nvidia-modeset,
 *                     /dev/nvidia-caps and /dev/nvidia0..N
 * @param libraryDirs  directories that hold the driver's user-space libraries (libcuda, libnvidia-*)
 * @param minorByBusId each GPU's device minor by its PCI bus id ({@link #busKey normalised}), as the driver reports it
 */
public record GpuPassthrough(List<Path> devices, List<Path> libraryDirs, Map<String, Integer> minorByBusId) {
    public static final GpuPassthrough NONE = new GpuPassthrough(List.of(), List.of(), Map.of());

    private static final Path DEV = Path.of("/dev");
    static final Path DRIVER_GPUS = Path.of("/proc/driver/nvidia/gpus");
    /**
     * The driver's capabilities in /proc ({@link #CAPABILITY_DEVICES}' other face): where the driver runs in its /proc
     * mode, opening {@code mig/config} or {@code mig/monitor} here is the right itself, guarded by its mode alone
     * (the MIG user guide has the monitor's made readable to all); in its /dev mode each file names its device's
     * minor. A whole GPU's job needs neither, and NVIDIA's container toolkit shows a container of whole GPUs none of
     * it; hidden under an empty read-only tmpfs ({@link BwrapCommand#hiddenProcDirs}).
     */
    static final Path DRIVER_CAPABILITIES = Path.of("/proc/driver/nvidia/capabilities");
    private static final Pattern DEVICE = Pattern.compile("nvidia(\\d+|ctl|-uvm|-uvm-tools|-modeset|-caps)");
    private static final Pattern GPU = Pattern.compile("nvidia\\d+");
    /**
     * The display driver's device (NVKMS): its ioctls answer the machine's displays and what is plugged into
     * them (each monitor's EDID, with its maker's serial number), and take kernel code no training reaches. CUDA
     * never opens it; NVIDIA's container toolkit passes it only to a container asking for its display capability.
     * Found, so that the doctor sees the driver whole, but no job is given it.
     */
    static final String DISPLAY_DEVICE = "nvidia-modeset";
    /**
     * The driver's capability devices ({@code /dev/nvidia-caps/nvidia-cap<n>}, NVIDIA's MIG user guide, "Device Nodes
     * and Capabilities"): holding one is the right to do what it names, whatever the GPU device nodes allow. Two are
     * the machine's: {@code mig-config} creates and destroys MIG instances on every MIG-capable GPU (another slot's
     * GPU repartitioned under its job), {@code mig-monitor} reads every GPU's instances; the rest each open one MIG
     * instance of one GPU. A whole GPU, the only kind a slot is given ({@link JobGpu}), needs none of them: CUDA on a
     * GPU not in MIG mode never opens them, and NVIDIA's container toolkit passes a container given whole GPUs none
     * (it adds an instance's two only for a MIG device, and config or monitor only when asked for by name). Found, so
     * that the doctor sees the driver whole, but no job is given it; binding the directory gave a job all of them, the
     * device nodes' modes its only guard.
     */
    static final String CAPABILITY_DEVICES = "nvidia-caps";
    /**
     * UVM's tools device: the profilers' and debuggers' interface to unified memory (CUPTI's unified-memory events
     * and counters, Nsight, cuda-gdb), event queues and counters on a process's UVM address space, given a descriptor
     * of that process's {@code /dev/nvidia-uvm}; kernel code no training reaches. CUDA's own work (context, memory,
     * kernels, managed memory) goes through {@code nvidia-uvm} and never opens it. NVIDIA's container toolkit does
     * pass it to a container of the {@code compute} capability, but not as a device CUDA needs: libnvidia-container
     * gates the driver's devices by major number alone ({@code nvc_mount.c}, "Only compute libraries require
     * specific devices (e.g. UVM)"), and this node rides along with {@code nvidia-uvm}'s. Found, so that the doctor
     * sees the driver whole, but no job is given it (round 37); a job profiling its own unified memory gets no such
     * events, as under a driver loaded without the tools device.
     */
    static final String UVM_TOOLS_DEVICE = "nvidia-uvm-tools";
    private static final Pattern MINOR = Pattern.compile("(?m)^Device Minor:\\s*(\\d+)\\s*$");
    private static final Pattern BUS_ID = Pattern.compile("([0-9A-Fa-f]{1,8}):([0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7])");
    private static final Pattern DRIVER_LIBRARY = Pattern.compile(
            "lib(cuda|cudadebugger|nvidia-[a-z0-9-]+|nvcuvid|nvoptix)\\.so(\\..*)?");

    public GpuPassthrough {
        devices = List.copyOf(devices);
        libraryDirs = List.copyOf(libraryDirs);
        minorByBusId = Map.copyOf(minorByBusId);
    }

    public GpuPassthrough(List<Path> devices, List<Path> libraryDirs) {
        this(devices, libraryDirs, Map.of());
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
        Map<String, Integer> minors = new TreeMap<>();
        for (Path gpuDir : host.children(DRIVER_GPUS)) {
            Optional<String> bus = busKey(gpuDir.getFileName().toString());
            Optional<String> info = host.readText(gpuDir.resolve("information"));
            if (bus.isPresent() && info.isPresent()) {
                Matcher m = MINOR.matcher(info.get());
                if (m.find()) {
                    minors.put(bus.get(), Integer.parseInt(m.group(1)));
                }
            }
        }
        return new GpuPassthrough(devices, List.copyOf(dirs), minors);
    }

    /**
     * A PCI bus id as one key whichever tool wrote it: nvidia-smi writes an 8-digit domain in
     * capitals ({@code 00000000:17:00.0}), the driver's /proc a 4-digit one in lower case
     * ({@code 0000:17:00.0}).
     */
    static Optional<String> busKey(String busId) {
        Matcher m = BUS_ID.matcher(busId.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%04x:%s", Long.parseLong(m.group(1), 16),
                m.group(2).toLowerCase(Locale.ROOT)));
    }

    public boolean present() {
        return !devices.isEmpty();
    }

    /** How many GPUs (numbered device nodes) the machine has. */
    public int gpuCount() {
        return (int) devices.stream().filter(d -> GPU.matcher(Objects.toString(d.getFileName())).matches()).count();
    }

    /**
     * The device nodes one job is given: none for a CPU job; for a GPU job the control devices CUDA opens
     * (nvidiactl and nvidia-uvm, those present; not {@link #DISPLAY_DEVICE}, {@link #CAPABILITY_DEVICES} nor
     * {@link #UVM_TOOLS_DEVICE}) and its GPU's node alone.
     *
     * <p>{@code nvidiactl} is every CUDA process's first device, through which it reaches the driver at all, and
     * it names no GPU: its client-level calls list the driver's every GPU (its id and PCI place), as they do in a
     * container of NVIDIA's toolkit. What a GPU itself does (its memory, its compute, its clocks and counters)
     * needs a device allocated on it, which the driver grants only to a process holding that GPU's own node open
     * ({@code nv_is_gpu_accessible} in its kernel module reads the caller's descriptors): the one node passed.
     *
     * @throws IllegalArgumentException when the machine has no device node for that GPU
     */
    public List<Path> devicesFor(Optional<JobGpu> gpu) {
        if (gpu.isEmpty() || !present()) {
            return List.of();
        }
        Path node = DEV.resolve("nvidia" + minorOf(gpu.get()));
        if (!devices.contains(node)) {
            throw new IllegalArgumentException("GPU " + gpu.get().index() + " has no device node " + node
                    + " on this machine (it has " + devices.stream().filter(d -> GPU.matcher(d.getFileName().toString())
                    .matches()).toList() + ")");
        }
        List<Path> passed = new ArrayList<>();
        for (Path d : devices) {
            String name = d.getFileName().toString();
            if (!name.equals(DISPLAY_DEVICE) && !name.equals(CAPABILITY_DEVICES) && !name.equals(UVM_TOOLS_DEVICE)
                    && (!GPU.matcher(name).matches() || d.equals(node))) {
                passed.add(d);
            }
        }
        return List.copyOf(passed);
    }

    /**
     * The driver's {@code /proc} directory of the GPU a job is given ({@code /proc/driver/nvidia/gpus/<bus id>}), the
     * only one of that directory the job sees ({@link BwrapCommand}): each holds its GPU's UUID, model, firmware
     * and place on the bus, so the others told a job the machine's every GPU, which its devices do not reach.
     * NVIDIA's container toolkit shows a container the same: the directories of its own GPUs alone. Empty for a
     * CPU job, and where the driver lists no GPU of that minor (the index taken for it, {@link #minorOf}).
     */
    public Optional<Path> procDirFor(Optional<JobGpu> gpu, HostView host) {
        if (gpu.isEmpty() || !present()) {
            return Optional.empty();
        }
        int minor = minorOf(gpu.get());
        for (Path dir : host.children(DRIVER_GPUS)) {
            Optional<String> bus = busKey(dir.getFileName().toString());
            if (bus.isPresent() && Integer.valueOf(minor).equals(minorByBusId.get(bus.get()))) {
                return Optional.of(DRIVER_GPUS.resolve(dir.getFileName().toString()));
            }
        }
        return Optional.empty();
    }

    /** The driver's library directories, for a job that is given a GPU; none for a CPU job. */
    public List<Path> libraryDirsFor(Optional<JobGpu> gpu) {
        return gpu.isPresent() && present() ? libraryDirs : List.of();
    }

    /** The GPU's device minor: the driver's, found by bus id; else assumed to be nvidia-smi's index. */
    int minorOf(JobGpu gpu) {
        return busKey(gpu.busId()).map(minorByBusId::get).orElse(gpu.index());
    }
}
