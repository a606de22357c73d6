package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's kept network id tells its listener (the node's gossip) at every coordinator answer
 * checked against it: the first answer of a first start, the same id later, and the kept id where
 * another was answered and not followed. A node's gossip learnt its network only at its own ask for
 * entry points, which backs off up to 5 minutes while the coordinator is away: its slots' claims
 * had heard it long before, and its hellos, signed for no network, were refused by every peer.
 */
class KnownNetworkTest {
    static final URI COORDINATOR = URI.create("http://127.0.0.1:1");

    @TempDir
    Path dataDir;

    @Test
    void theListenerIsToldTheKeptIdAtEachCheckedAnswer() throws Exception {
        List<String> told = new CopyOnWriteArrayList<>();
        KnownNetwork kept = KnownNetwork.ofNode(dataDir).telling(told::add);
        assertThat(kept.read()).isNull();

        kept.check(COORDINATOR, "net-a");
        assertThat(told).containsExactly("net-a");
        assertThat(kept.read()).isEqualTo("net-a");

        kept.check(COORDINATOR, "net-a");
        assertThat(told).containsExactly("net-a", "net-a");

        assertThatThrownBy(() -> kept.check(COORDINATOR, "net-b")).isInstanceOf(KnownNetwork.Mismatch.class);
        assertThat(told).as("not followed: the kept id is the node's").containsExactly("net-a", "net-a", "net-a");
        assertThat(kept.read()).isEqualTo("net-a");
    }

    @Test
    void aFileWithoutAnIdTellsNothing() throws Exception {
        List<String> told = new CopyOnWriteArrayList<>();
        KnownNetwork kept = KnownNetwork.ofNode(dataDir).telling(told::add);
        java.nio.file.Files.writeString(kept.file(), "not an id with spaces\n");
        assertThatThrownBy(() -> kept.check(COORDINATOR, "net-a")).hasMessageContaining(kept.file().toString());
        assertThat(told).isEmpty();
    }
}
