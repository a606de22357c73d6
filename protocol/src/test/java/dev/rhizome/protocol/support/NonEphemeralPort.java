package dev.rhizome.protocol.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free loopback port outside the kernel's ephemeral range, for a test that must bind the same
 * port twice (a server that fails to start must free it for the next; a server restarted on its
 * port). A port found free in the ephemeral range is anyone's between the two binds: every port-0
 * server and every outgoing connection of the other tests on the machine draws from that range.
 * Outside it, only a server asking for that very port by number can take it.
 */
public final class NonEphemeralPort {
    /** Above the ports local services commonly listen on (PostgreSQL's 5432, 8080, ...). */
    private static final int LOWEST = 10_000;
    private static final int HIGHEST = 65_535;
    /** Linux's default range, used where /proc does not say. */
    private static final int[] DEFAULT_EPHEMERAL = {32_768, 60_999};
    private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    private NonEphemeralPort() {
    }

    /**
     * A port that was free just now, outside the ephemeral range (below it, else above it), drawn
     * at random so that tests running at once rarely draw the same.
     */
    public static int find() throws IOException {
        int[] ephemeral = ephemeralRange();
        int below = Math.max(0, ephemeral[0] - LOWEST);
        int above = Math.max(0, HIGHEST - ephemeral[1]);
        if (below + above < 1_000) {
            throw new IOException("the ephemeral port range " + ephemeral[0] + "-" + ephemeral[1]
                    + " leaves too few ports outside it for a test port");
        }
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            int draw = ThreadLocalRandom.current().nextInt(below + above);
            int port = draw < below ? LOWEST + draw : ephemeral[1] + 1 + (draw - below);
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return probe.getLocalPort();
            } catch (IOException taken) {
                last = taken;
            }
        }
        throw new IOException("no free loopback port found outside the ephemeral range", last);
    }

    private static int[] ephemeralRange() {
        // read as a stream: Files.readString trusts the size /proc reports and returned "3" of "32768 60999"
        try (InputStream in = Files.newInputStream(RANGE)) {
            String[] range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
            return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
        } catch (IOException | RuntimeException unreadable) {
            return DEFAULT_EPHEMERAL;
        }
    }
}
