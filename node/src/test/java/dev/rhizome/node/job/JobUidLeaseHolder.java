package dev.rhizome.node.job;

import java.nio.file.Path;

/** A second node's slot, in a JVM of its own ({@link JobUidLeasesTest}): holds a job uid until killed. */
public final class JobUidLeaseHolder {
    private JobUidLeaseHolder() {
    }

    public static void main(String[] args) throws Exception {
        JobUidLeases.Lease lease = new JobUidLeases(Path.of(args[0])).take(Integer.parseInt(args[1]));
        System.out.println("HELD " + lease.uid());
        System.out.flush();
        System.in.read(); // until the test closes its input or kills this JVM
        lease.close();
    }
}
