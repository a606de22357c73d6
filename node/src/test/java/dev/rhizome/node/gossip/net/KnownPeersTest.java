package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.io.OutputStream;
import java.nio.file.Files;
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

    /**
     * A file of many records that do not verify, their type names carrying a line feed and a bidi
     * override: one WARN line for them all, the reason escaped (a line each, raw, before), and the
     * good record after them still read.
     */
    @Test
    void manyRecordsThatDoNotVerifyAreCountedInOneEscapedLine() throws Exception {
        KnownPeers file = new KnownPeers(dir.resolve("peers.bin"));
        SignedEnvelope good = NameOutOfReachLoopbackTest.record("good.example", 7001);
        SignedEnvelope bad = good.toBuilder().setType("rhizome.v1.NodeInfo\n12:00 forged line \u202Etxt.exe").build();
        try (OutputStream out = Files.newOutputStream(dir.resolve("peers.bin"))) {
            for (int i = 0; i < 500; i++) {
                bad.writeDelimitedTo(out);
            }
            good.writeDelimitedTo(out);
        }

        List<NodeInfo> loaded;
        try (NodeLog logged = new NodeLog()) {
            logged.watch();
            loaded = file.load();
            List<String> warned = logged.lines().stream()
                    .filter(e -> e.getLevel() == Level.WARN && e.getLoggerName().equals(KnownPeers.class.getName()))
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warned).hasSize(1);
            assertThat(warned.get(0)).contains("500").contains("\\n").contains("\\u202e")
                    .doesNotContain("\n").doesNotContain("\u202E");
        }
        assertThat(loaded).extracting(NodeInfo::getHost).containsExactly("good.example");
    }
}
