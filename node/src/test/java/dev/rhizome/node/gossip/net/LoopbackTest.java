package dev.rhizome.node.gossip.net;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A test of real nodes on loopback: a temporary directory and a {@link LoopbackNet}, closed after each test. */
abstract class LoopbackTest {
    @TempDir
    Path tmp;

    final LoopbackNet net = new LoopbackNet();

    @AfterEach
    void closeNet() throws Exception {
        net.close();
    }
}
