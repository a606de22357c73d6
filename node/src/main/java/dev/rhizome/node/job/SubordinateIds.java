package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The subordinate ids {@code /etc/subuid} or {@code /etc/subgid} give a user (lines
 * {@code <name or uid>:<first>:<count>}): where a node of an ordinary user gets uids for its jobs
 * other than its own, mapped into a user namespace of its by {@code newuidmap}/{@code newgidmap}
 * ({@link JobUserNamespace}).
 */
record SubordinateIds(long first, long count) {
    /** What {@code useradd} gives a new user, and what the remedy proposes. */
    static final long USUAL_COUNT = 65_536;

    /**
     * The first range of {@code file}'s text for user {@code name} or uid {@code uid} holding at least
     * {@code needed} ids; empty when none does (a malformed line is no range).
     */
    static Optional<SubordinateIds> of(String file, String name, int uid, long needed) {
        for (String line : file.split("\n")) {
            String[] f = line.trim().split(":");
            if (f.length != 3 || !(f[0].equals(name) || f[0].equals(Integer.toString(uid)))) {
                continue;
            }
            try {
                long first = Long.parseLong(f[1]);
                long count = Long.parseLong(f[2]);
                if (first > 0 && count >= needed && first + count <= 0xFFFF_FFFFL) {
                    return Optional.of(new SubordinateIds(first, count));
                }
            } catch (NumberFormatException e) {
                // not a range
            }
        }
        return Optional.empty();
    }

    /**
     * What {@code rhizome node doctor} says of the node user's subordinate ids: whether
     * {@code /etc/subuid} and {@code /etc/subgid} give it a range and the mapping tools are there,
     * which a node of an ordinary user runs its jobs as ({@link SubordinateJobs}).
     */
    static String readiness(HostView host, String name, int uid, boolean mappers) {
        Optional<SubordinateIds> uids = of(host.readText(Path.of("/etc/subuid")).orElse(""), name, uid, 1);
        Optional<SubordinateIds> gids = of(host.readText(Path.of("/etc/subgid")).orElse(""), name, uid, 1);
        if (uids.isEmpty() || gids.isEmpty()) {
            return "no subordinate ids for " + name + " in " + (uids.isEmpty() ? "/etc/subuid" : "")
                    + (uids.isEmpty() && gids.isEmpty() ? " and " : "") + (gids.isEmpty() ? "/etc/subgid" : "");
        }
        return "subordinate ids " + uids.get().first() + "+" + uids.get().count() + " (uids) and " + gids.get().first()
                + "+" + gids.get().count() + " (gids) for " + name + (mappers ? "" : ", but newuidmap or newgidmap is missing")
                + "";
    }

    /** The lines to add to {@code /etc/subuid} and {@code /etc/subgid} (and the command that adds them) for {@code name}. */
    static String remedy(String name) {
        long last = 100_000 + USUAL_COUNT - 1;
        return "give " + name + " subordinate ids: the line '" + name + ":100000:" + USUAL_COUNT
                + "' in /etc/subuid and in /etc/subgid (as root: usermod --add-subuids 100000-" + last
                + " --add-subgids 100000-" + last + " " + name + "; pick a range no other user's overlaps)"
                + ", and install newuidmap and newgidmap (Debian and Ubuntu: apt install uidmap)";
    }
}
