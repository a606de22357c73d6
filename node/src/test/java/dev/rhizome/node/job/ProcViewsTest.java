package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcViewsTest {
    /** A two-CPU machine's, as Linux 6.x writes it (the intr line cut short). */
    private static final String STAT = """
            cpu  8432 12 3301 991200 410 0 95 0 0 0
            cpu0 4200 6 1650 495600 205 0 50 0 0 0
            cpu1 4232 6 1651 495600 205 0 45 0 0 0
            intr 17717144 0 9 0 0 0 0 0 0 0 0 0 0 2705529 0 6301
            ctxt 40210931
            btime 1796470000
            processes 182734
            procs_running 3
            procs_blocked 0
            softirq 9311873 1 3120110 4 7210 270 0 22 2900000 0 3282256
            """;
    private static final String MEMINFO = """
            MemTotal:       24608768 kB
            MemFree:         1207952 kB
            MemAvailable:   13311804 kB
            Buffers:          402112 kB
            Cached:         11023448 kB
            SwapTotal:       8388604 kB
            HugePages_Total:       0
            Hugepagesize:       2048 kB
            """;
    private static final long GIB = 1L << 30;

    @Test
    void theJobsStatKeepsTheCpusAndBootTimeAndCountsNoEvent() throws IOException {
        assertThat(ProcViews.stat(STAT)).isEqualTo("""
                cpu  8432 12 3301 991200 410 0 95 0 0 0
                cpu0 4200 6 1650 495600 205 0 50 0 0 0
                cpu1 4232 6 1651 495600 205 0 45 0 0 0
                intr 0
                ctxt 0
                btime 1796470000
                processes 182734
                procs_running 3
                procs_blocked 0
                softirq 0 0 0 0 0 0 0 0 0 0 0
                """);
        assertThat(ProcViews.stat(STAT + "gpu_irqs 1 2 3\n")).doesNotContain("gpu_irqs");
        assertThatThrownBy(() -> ProcViews.stat("intr 5 1 2\n")).isInstanceOf(IOException.class)
                .hasMessageContaining("/proc/stat");
    }

    @Test
    void theJobsMeminfoShowsItsOwnLimitAsTheMachinesMemoryAndNothingThatMoves() {
        assertThat(ProcViews.meminfo(MEMINFO, 2 * GIB)).isEqualTo("""
                MemTotal:        2097152 kB
                MemFree:         2097152 kB
                MemAvailable:    2097152 kB
                Buffers:               0 kB
                Cached:                0 kB
                SwapTotal:             0 kB
                HugePages_Total:       0
                Hugepagesize:       2048 kB
                """);
        // A limit above the machine's memory: the machine's.
        assertThat(ProcViews.meminfo(MEMINFO, 64 * GIB)).startsWith("MemTotal:       24608768 kB\n");
    }

    @Test
    void countersReadZeroAndNamesStay() {
        assertThat(ProcViews.zeroed("nr_free_pages 120334\nnr_zone_inactive_anon 7\n"))
                .isEqualTo("nr_free_pages 0\nnr_zone_inactive_anon 0\n");
        assertThat(ProcViews.zeroed("Node 0, zone    DMA32   1107    975    612\n"))
                .isEqualTo("Node 0, zone    DMA32   0    0    0\n");
        assertThat(ProcViews.zeroed("48830\t0\t9223372036854775807\n")).isEqualTo("0\t0\t0\n");
        assertThat(ProcViews.uptime("25457.92 16825.89\n")).isEqualTo("25457.92 0.00\n");
    }

    @Test
    void theJobsCgroupsKeepsEachControllerButCountsOnlyTheRootCgroup() {
        String host = """
                #subsys_name\thierarchy\tnum_cgroups\tenabled
                cpuset\t0\t212\t1
                memory\t4\t85\t1
                net_cls\t0\t1\t0
                """;
        assertThat(ProcViews.cgroups(host)).isEqualTo("""
                #subsys_name\thierarchy\tnum_cgroups\tenabled
                cpuset\t0\t1\t1
                memory\t4\t1\t1
                net_cls\t0\t1\t0
                """);
    }

    @Test
    void theKernelsBannerNamesNeitherTheUserNorTheMachineThatBuiltIt() {
        assertThat(ProcViews.version("Linux version 6.8.1-custom (ada@ada-desktop) (gcc (GCC) 13.2.0, GNU ld 2.41)"
                + " #3 SMP PREEMPT_DYNAMIC Sat Mar 16 10:00:00 CET 2024\n"))
                .isEqualTo("Linux version 6.8.1-custom (rhizome@rhizome-job) (gcc (GCC) 13.2.0, GNU ld 2.41)"
                        + " #3 SMP PREEMPT_DYNAMIC Sat Mar 16 10:00:00 CET 2024\n");
        String unusual = "Linux version 6.1.0 (gcc version 12) #1 SMP\n";
        assertThat(ProcViews.version(unusual)).as("no builder to hide").isEqualTo(unusual);
    }

    @Test
    void onlyTheFilesTheHostHasAreCopied() throws IOException {
        Map<String, String> host = Map.of("/proc/stat", STAT, "/proc/meminfo", MEMINFO, "/proc/loadavg",
                "6.24 3.44 2.19 8/218 32115\n", "/proc/diskstats", " 253       0 vda 8101 0 41 ...\n",
                "/proc/vmstat", "pgfault 99\n", "/proc/locks", "1: FLOCK  ADVISORY  WRITE 16050 fe:00:2154626 0 EOF\n",
                "/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 2100.000\n");
        Map<String, String> views = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(host.get(path)));
        assertThat(views).containsOnlyKeys("/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/diskstats",
                "/proc/vmstat", "/proc/locks", "/proc/cpuinfo");
        assertThat(views).containsEntry("/proc/locks", "").containsEntry("/proc/cpuinfo", host.get("/proc/cpuinfo"));
        assertThat(views).containsEntry("/proc/loadavg", ProcViews.NO_LOAD).containsEntry("/proc/diskstats", "")
                .containsEntry("/proc/vmstat", "pgfault 0\n");
        assertThatThrownBy(() -> ProcViews.forJob(GIB, false, path -> Optional.empty())).hasMessageContaining("/proc/stat");
    }

    @Test
    void limitsTheKernelSizesByMemoryReadAsOnAMachineOfTheJobsMemoryWhateverTheHosts() throws IOException {
        // Two hosts, of 24 GB and 96 GB, with the values their kernels gave them: the job's copies are the same.
        Map<String, String> small = new java.util.HashMap<>(Map.of("/proc/stat", STAT, "/proc/meminfo", MEMINFO));
        Map<String, String> large = new java.util.HashMap<>(Map.of("/proc/stat", STAT, "/proc/meminfo",
                MEMINFO.replace("24608768", "98435072")));
        for (ProcViews.SizedByMemory sized : ProcViews.SIZED_BY_MEMORY) {
            small.put(sized.path(), "192735\n");
            large.put(sized.path(), "770940\n");
        }
        Map<String, String> onSmall = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(small.get(path)));
        Map<String, String> onLarge = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(large.get(path)));
        assertThat(onSmall).isEqualTo(onLarge);
        // A machine of 1 GiB, by the kernel's own formulas.
        assertThat(onSmall).containsEntry("/proc/sys/kernel/threads-max", "8192\n")
                .containsEntry("/proc/sys/fs/file-max", "104857\n")
                .containsEntry("/proc/sys/fs/epoll/max_user_watches", "233422\n")
                .containsEntry("/proc/sys/fs/inotify/max_user_watches", "8192\n")
                .containsEntry("/proc/sys/fs/fanotify/max_user_marks", "8715\n")
                .containsEntry("/proc/sys/vm/admin_reserve_kbytes", "32768\n")
                .containsEntry("/proc/sys/vm/user_reserve_kbytes", "32768\n")
                .containsEntry("/proc/sys/vm/min_free_kbytes", "4096\n")
                .containsEntry("/proc/sys/net/ipv4/tcp_ehash_entries", "-8192\n")
                .containsEntry("/proc/sys/net/ipv4/tcp_max_tw_buckets", "4096\n")
                .containsEntry("/proc/sys/net/ipv4/tcp_max_syn_backlog", "128\n")
                .containsEntry("/proc/sys/net/ipv4/udp_hash_entries", "-512\n")
                .containsEntry("/proc/sys/net/netfilter/nf_conntrack_max", "8192\n");
        // A limit above the machine's memory shows the machine's, as meminfo does: nothing past what it says.
        Map<String, String> whole = ProcViews.forJob(64 * GIB, false, path -> Optional.ofNullable(small.get(path)));
        assertThat(whole).containsEntry("/proc/sys/kernel/threads-max", (24608768 / 128) + "\n")
                .containsEntry("/proc/sys/net/ipv4/tcp_ehash_entries", "-262144\n")
                .containsEntry("/proc/sys/net/ipv4/udp_hash_entries", "-16384\n")
                .containsEntry("/proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
        // None is bound where the host lacks it (bubblewrap cannot bind over what /proc lacks).
        Map<String, String> bare = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(
                Map.of("/proc/stat", STAT).get(path)));
        assertThat(bare).containsOnlyKeys("/proc/stat");
    }

    @Test
    void fileNrCountsNoFileAndReadsTheJobsFileMaxAsItsMost() throws IOException {
        // The host's: 2,881 open, 0 unused, at most 2,466,248 (a machine of 24 GB's file-max).
        Map<String, String> host = Map.of("/proc/stat", STAT, "/proc/meminfo", MEMINFO,
                "/proc/sys/fs/file-nr", "2881\t0\t2466248\n", "/proc/sys/fs/file-max", "2466248\n");
        Map<String, String> views = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(host.get(path)));
        assertThat(views).containsEntry("/proc/sys/fs/file-max", "104857\n")
                .containsEntry("/proc/sys/fs/file-nr", "0\t0\t104857\n");
        // A file-nr not of three fields (no kernel writes one) reads as the other counters do.
        assertThat(ProcViews.fileNr("7 8\n", 1 << 20)).isEqualTo("0 0\n");
    }

    @Test
    void settingsTheVolunteerOrADriverChangedReadAsTheKernelsDefaultsAndTheOnesAJobActsOnStay() throws IOException {
        // A host with NVIDIA's module loaded (tainted 4097), swappiness tuned, huge pages set aside, overcommit off.
        Map<String, String> host = Map.of("/proc/stat", STAT, "/proc/sys/kernel/tainted", "4097\n",
                "/proc/sys/vm/swappiness", "10\n", "/proc/sys/vm/nr_hugepages", "512\n",
                "/proc/sys/vm/nr_overcommit_hugepages", "16\n", "/proc/sys/vm/overcommit_memory", "2\n");
        Map<String, String> views = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(host.get(path)));
        assertThat(views).containsEntry("/proc/sys/kernel/tainted", "0\n").containsEntry("/proc/sys/vm/swappiness", "60\n")
                .containsEntry("/proc/sys/vm/nr_hugepages", "0\n").containsEntry("/proc/sys/vm/nr_overcommit_hugepages", "0\n")
                .doesNotContainKey("/proc/sys/vm/overcommit_memory");
        // Round 37: what the host wrote as a path or a command line, a volunteer's home among them.
        Map<String, String> paths = Map.of("/proc/stat", STAT, "/proc/sys/kernel/core_pattern", "/home/ada/cores/core.%e.%p\n",
                "/proc/sys/kernel/core_uses_pid", "1\n", "/proc/sys/kernel/poweroff_cmd", "/run/current-system/sw/bin/poweroff\n",
                "/proc/sys/kernel/modprobe", "/run/booted-system/kernel-modules/bin/modprobe\n");
        assertThat(ProcViews.forJob(GIB, false, path -> Optional.ofNullable(paths.get(path))))
                .containsEntry("/proc/sys/kernel/core_pattern", "core\n").containsEntry("/proc/sys/kernel/core_uses_pid", "0\n")
                .containsEntry("/proc/sys/kernel/poweroff_cmd", "/sbin/poweroff\n")
                .containsEntry("/proc/sys/kernel/modprobe", "/sbin/modprobe\n");
        // None is bound where the host lacks it.
        assertThat(ProcViews.forJob(GIB, false, path -> Optional.ofNullable(Map.of("/proc/stat", STAT).get(path))))
                .doesNotContainKeys(ProcViews.DEFAULTS.keySet().toArray(String[]::new));
    }

    @Test
    void aBoardsSerialNumberInCpuinfoReadsAsZerosAndEverythingElseStays() {
        String pi = "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n\n"
                + "Hardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000a3b4c5d6\nModel\t\t: Raspberry Pi 4\n";
        assertThat(ProcViews.cpuinfo(pi)).isEqualTo(pi.replace("10000000a3b4c5d6", "0000000000000000"));
        String x86 = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu vme de pse\n";
        assertThat(ProcViews.cpuinfo(x86)).isEqualTo(x86);
    }

    @Test
    void theMachinesOwnAreRead() throws IOException {
        Map<String, String> views = ProcViews.forJob(GIB, false);
        assertThat(views.get("/proc/stat")).startsWith("cpu ").contains("\nintr 0\n");
        assertThat(views.get("/proc/meminfo")).startsWith("MemTotal:        1048576 kB\n");
    }

    @Test
    void theDriversListsReadEmptyButAGpuJobKeepsTheDeviceNumbers() throws IOException {
        Map<String, String> host = Map.of("/proc/stat", STAT, "/proc/devices", "Character devices:\n195 nvidia\n",
                "/proc/misc", "232 kvm\n", "/proc/crypto", "name : aes\n", "/proc/iomem",
                "00000000-00000000 : 0000:01:00.0\n", "/proc/filesystems", "nodev\ttmpfs\n\texfat\n");

        Map<String, String> cpuJob = ProcViews.forJob(GIB, false, path -> Optional.ofNullable(host.get(path)));
        Map<String, String> gpuJob = ProcViews.forJob(GIB, true, path -> Optional.ofNullable(host.get(path)));

        assertThat(cpuJob).containsEntry("/proc/devices", "").containsEntry("/proc/misc", "")
                .containsEntry("/proc/crypto", "").containsEntry("/proc/iomem", "")
                .containsEntry("/proc/filesystems", host.get("/proc/filesystems"))
                .doesNotContainKeys("/proc/config.gz", "/proc/ioports"); // not on this host: nothing to bind over
        assertThat(gpuJob).doesNotContainKey("/proc/devices").containsEntry("/proc/misc", "");
    }
}
