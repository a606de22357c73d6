package dev.rhizome.node.job;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The names of a node's job directories: {@code rhizome-<nonce><tag>}, a random nonce and its
 * HMAC-SHA256 under the node's key (16 hex digits each), new at each start. A job reads its checkout's
 * host path in {@code /proc/self/mountinfo} (the kernel prints it; nothing the sandbox binds can hide
 * it), so the name must tell a job nothing: not the node's uid, nor a name the node keeps for life, by
 * which jobs tell one node's runs from another's. Yet a node killed outright must find, at its next
 * start, the directories it left and no one else's: the tag says which are its own, and only the
 * node, which holds the key (in its data directory, out of every job's reach), can make or check one.
 * Pure.
 */
public final class JobDirNames {
    /** What every node job directory's name starts with (the volunteer sees what made it). */
    public static final String PREFIX = "rhizome-";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int HALF = 8; // bytes of nonce, and of tag

    private JobDirNames() {
    }

    /** A new name for a job directory of the node of {@code key}. */
    public static String fresh(String key) {
        byte[] nonce = new byte[HALF];
        RANDOM.nextBytes(nonce);
        return PREFIX + HexFormat.of().formatHex(nonce) + HexFormat.of().formatHex(tag(key, nonce));
    }

    /** Whether {@code name} is one {@link #fresh} made with {@code key}: its tag is the nonce's under the key. */
    public static boolean madeWith(String name, String key) {
        if (!name.matches(PREFIX + "[0-9a-f]{" + 4 * HALF + "}")) {
            return false;
        }
        byte[] both = HexFormat.of().parseHex(name.substring(PREFIX.length()));
        byte[] nonce = Arrays.copyOf(both, HALF);
        return MessageDigest.isEqual(tag(key, nonce), Arrays.copyOfRange(both, HALF, 2 * HALF));
    }

    /** A random name of 16 hex digits for one job's directory (its checkout), by which no job is told apart. */
    public static String forOneJob() {
        byte[] b = new byte[HALF];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static byte[] tag(String key, byte[] nonce) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("empty job directory key");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal(nonce), HALF);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
