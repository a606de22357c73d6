package dev.rhizome.ops.bench;

import java.util.List;

/**
 * JVM flags for a long-running node: it mostly waits on sockets and child processes, so a small
 * heap, the serial collector, the quick JIT and capped metaspace, code cache and direct memory
 * keep its resident size near 100 MB; Netty's pooled buffers are off, since a node moves little.
 * The systemd unit and the GPU check use the same flags.
 */
public final class NodeJvm {
    public static final List<String> FLAGS = List.of("-Xms16m", "-Xmx64m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=24m",
            "-XX:MaxDirectMemorySize=32m", "-Dio.netty.allocator.type=unpooled");

    private NodeJvm() {
    }
}
