package dev.rhizome.protocol.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NonEphemeralPortTest {
    @Test
    void aPortOutsideTheRangePortZeroDrawsFromThatCanBeBound() throws Exception {
        int port = NonEphemeralPort.find();
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.exists(range)) {
            try (InputStream in = Files.newInputStream(range)) {
                String[] bounds = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
                assertThat(port < Integer.parseInt(bounds[0]) || port > Integer.parseInt(bounds[1]))
                        .as("%d outside the ephemeral range %s", port, Arrays.toString(bounds)).isTrue();
            }
        }
        assertThat(port).isBetween(10_000, 65_535);
        try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(server.getLocalPort()).isEqualTo(port);
        }
    }
}
