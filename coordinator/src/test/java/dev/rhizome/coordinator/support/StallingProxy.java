package dev.rhizome.coordinator.support;

import java.io.IOException;

/**
 * A TCP proxy on loopback that can stop forwarding without closing anything, in both directions: to
 * each side the other is still connected and silent, as across a network partition (no reset, no
 * FIN reaches the far side). What was sent meanwhile waits in the proxy and goes on once it resumes.
 */
public final class StallingProxy implements AutoCloseable {
    private final Object gate = new Object();
    private boolean stalled;
    private final LoopbackProxy proxy;

    public StallingProxy(String host, int port) throws IOException {
        LoopbackProxy.Direction waitsWhileStalled = new LoopbackProxy.Direction() {
            @Override
            public boolean forward(byte[] buf, int n) throws InterruptedException {
                awaitForwarding();
                return true;
            }

            /** A side that closed while stalled: its close, too, reaches the other side only once forwarding goes on. */
            @Override
            public void ended() {
                try {
                    awaitForwarding();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        this.proxy = new LoopbackProxy("stalling-proxy", host, port,
                (client, upstream) -> new LoopbackProxy.Directions(waitsWhileStalled, waitsWhileStalled));
    }

    public int port() {
        return proxy.port();
    }

    /** From now on nothing is forwarded, either way, and nothing is closed. */
    public void stall() {
        synchronized (gate) {
            stalled = true;
        }
    }

    /** Forwarding goes on, what waited first. */
    public void resume() {
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
    }

    private void awaitForwarding() throws InterruptedException {
        synchronized (gate) {
            while (stalled) {
                gate.wait();
            }
        }
    }

    @Override
    public void close() throws IOException {
        resume();
        proxy.close();
    }
}
