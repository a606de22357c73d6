package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownPeersTest {
    @TempDir
    Path dir;

    @Test
    void anOlderSaveThatRunsAfterANewerOneLeavesTheNewerSetOnDisk() {
        KnownPeers file = new KnownPeers(dir.resolve("peers.bin"));
        SignedEnvelope older = NameOutOfReachLoopbackTest.record("older.example", 7001);
        SignedEnvelope newer = NameOutOfReachLoopbackTest.record("newer.example", 7002);
        long first = file.ticket();
        long second = file.ticket();

        file.save(second, List.of(newer));  // the pool ran the later save first
        file.save(first, List.of(older));

        assertThat(file.load()).extracting(NodeInfo::getHost).containsExactly("newer.example");
    }

    @Test
    void savesThatRunInTheOrderAskedEachReplaceTheFile() {
        KnownPeers file = new KnownPeers(dir.resolve("peers.bin"));
        file.save(file.ticket(), List.of(NameOutOfReachLoopbackTest.record("first.example", 7001)));
        file.save(file.ticket(), List.of(NameOutOfReachLoopbackTest.record("second.example", 7002),
                NameOutOfReachLoopbackTest.record("third.example", 7003)));

        assertThat(file.load()).extracting(NodeInfo::getHost).containsExactly("second.example", "third.example");
    }
}
