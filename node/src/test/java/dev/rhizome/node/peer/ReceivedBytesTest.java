package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReceivedBytesTest {
    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void bytesUpToTheLimitStayInMemoryWhateverTheOrderTheyArriveIn() throws Exception {
        byte[] whole = random(100);
        try (ReceivedBytes received = new ReceivedBytes(100)) {
            received.write(ByteBuffer.wrap(whole, 60, 40), 60);
            received.write(ByteBuffer.wrap(whole, 0, 10), 0);
            received.append(ByteBuffer.wrap(whole, 100, 0));
            received.write(ByteBuffer.wrap(whole, 10, 50), 10);

            assertThat(received.inMemory()).isTrue();
            assertThat(received.file()).isEmpty();
            assertThat(received.size()).isEqualTo(100);
            assertThat(received.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(whole));
        }
    }

    @Test
    void theFirstBytePastTheLimitMovesEverythingToAFileDeletedAtClose() throws Exception {
        byte[] whole = random(1000);
        ReceivedBytes received = new ReceivedBytes(64);
        for (int at = 0; at < whole.length; at += 30) {
            received.append(ByteBuffer.wrap(whole, at, Math.min(30, whole.length - at)));
        }
        assertThat(received.inMemory()).isFalse();
        Path file = received.file().orElseThrow();
        assertThat(file).hasSize(1000);
        assertThat(received.size()).isEqualTo(1000);
        assertThat(received.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(whole));
        received.close();
        assertThat(file).doesNotExist();
    }
}
