package dev.rhizome.node.job;

/**
 * One open descriptor of a job process, as the kernel describes the open file: numbers only, never
 * a path, so that nothing a job named (a file name can hold a line break) travels in it. What
 * {@link HeldDescriptors} and {@link DeletedFiles} count, read by the node from {@code /proc}
 * ({@link ProcDescriptors}) or, where the job's uid is not the node's, by a helper in the job's user
 * namespace ({@link NamespaceFds}).
 *
 * @param epoll   whether it is an epoll instance ({@code anon_inode:[eventpoll]})
 * @param watches the epoll watches its {@code fdinfo} lists (0 for anything else), counted up to the look's cap
 * @param mode    the open file's {@code st_mode}; -1 when it closed between the listing and the {@code stat}
 */
record JobDescriptor(long pid, boolean epoll, long watches, int mode, long dev, long ino, int nlink, long size) {
    private static final int S_IFMT = 0170000;

    boolean pipeOrFifo() {
        return mode != -1 && (mode & S_IFMT) == 0010000;
    }

    boolean regular() {
        return mode != -1 && (mode & S_IFMT) == 0100000;
    }

    /** One line of numbers, as {@link JobFdHelper} sends it. */
    String line() {
        return pid + " " + (epoll ? 1 : 0) + " " + watches + " " + mode + " " + dev + " " + ino + " " + nlink + " " + size;
    }

    /** The descriptor of a {@link #line()}; refuses anything else. */
    static JobDescriptor parse(String line) {
        String[] f = line.split(" ", -1);
        if (f.length != 8) {
            throw new IllegalArgumentException("not a descriptor's line: " + JobText.printable(line, 80));
        }
        return new JobDescriptor(Long.parseLong(f[0]), f[1].equals("1"), Long.parseLong(f[2]), Integer.parseInt(f[3]),
                Long.parseLong(f[4]), Long.parseLong(f[5]), Integer.parseInt(f[6]), Long.parseLong(f[7]));
    }
}
