package dev.rhizome.client;

import dev.rhizome.coordinator.support.LoopbackProxy;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A TCP proxy on loopback between a client process and an HTTP/1.1 server that SIGKILLs the client
 * at one chosen request: before the request reaches the server, or once the server has answered it
 * but before the answer reaches the client (the answer a kill loses: the server did the work, the
 * client never learns it), or once the server has answered several such requests, none of whose
 * answers reached the client (a client with several requests in flight at once, all their answers
 * lost). A request is recognised by the start of its first line ("POST /v1/papers ");
 * a client sends no request on a connection before it has read the previous answer, so whatever the
 * server sends after the recognised request is that request's answer.
 */
final class KillingProxy implements AutoCloseable {
    enum When { BEFORE_REQUEST, AFTER_ANSWER }

    private final LoopbackProxy proxy;
    private volatile String requestStart;
    private volatile When when;
    private volatile Supplier<Process> victim;
    private volatile Runnable atKill = () -> { };
    private final AtomicBoolean fired = new AtomicBoolean();
    /** With {@link #armAfterAnswers}: how many matching answers are still to arrive (withheld) before the kill. */
    private volatile AtomicInteger answersToKill;
    private final CountDownLatch killed = new CountDownLatch(1);

    KillingProxy(String targetUrl) throws IOException {
        URI target = URI.create(targetUrl);
        this.proxy = new LoopbackProxy("killing-proxy", target.getHost(), target.getPort(), this::accepted);
    }

    String url() {
        return proxy.url();
    }

    /**
     * The next request starting with {@code start} kills the process {@code process} names then, at
     * {@code moment}; once. Armed before the process starts, so no request of it slips past.
     */
    void arm(String start, When moment, Supplier<Process> process) {
        arm(start, moment, process, () -> { });
    }

    /** As {@link #arm(String, When, Supplier)}, running {@code look} first: what the victim's files hold at that moment. */
    void arm(String start, When moment, Supplier<Process> process, Runnable look) {
        fired.set(false);
        this.atKill = look;
        this.when = moment;
        this.victim = process;
        this.requestStart = start;
    }

    /**
     * Every request starting with {@code start} has its answer withheld from the client; once the
     * server has answered {@code answers} of them, the process {@code process} names is killed.
     */
    void armAfterAnswers(String start, int answers, Supplier<Process> process) {
        fired.set(false);
        this.atKill = () -> { };
        this.when = When.AFTER_ANSWER;
        this.victim = process;
        this.answersToKill = new AtomicInteger(answers);
        this.requestStart = start;
    }

    /** Whether the armed kill happened. */
    boolean fired() {
        return fired.get();
    }

    /** One connection: whatever the server sends after the recognised request is that request's answer. */
    private LoopbackProxy.Directions accepted(Socket client, Socket upstream) {
        AtomicBoolean answerKills = new AtomicBoolean();
        LoopbackProxy.Direction toServer = new LoopbackProxy.Direction() {
            private String carried = "";  // the end of the previous read: a request line may be split between reads

            @Override
            public boolean forward(byte[] buf, int n) {
                String seen = carried + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                String start = requestStart;
                if (start != null && seen.contains(start)) {
                    if (answersToKill == null) {
                        requestStart = null;
                    }
                    if (when == When.BEFORE_REQUEST) {
                        kill(client, upstream);
                        return false;
                    }
                    answerKills.set(true);
                }
                carried = seen.substring(Math.max(0, seen.length() - 64));
                return true;
            }
        };
        LoopbackProxy.Direction toClient = (buf, n) -> {
            if (!answerKills.get()) {
                return true;
            }
            AtomicInteger counting = answersToKill;
            if (counting != null && counting.decrementAndGet() > 0) {
                killed.await();  // withheld: closing would tell the client its request failed
                return false;
            }
            kill(client, upstream);
            return false;
        };
        return new LoopbackProxy.Directions(toServer, toClient);
    }

    private void kill(Socket client, Socket upstream) {
        Process p = victim.get();
        atKill.run();
        fired.set(true);  // before the kill: whoever waits for the process's end reads it then
        requestStart = null;
        p.destroyForcibly();  // SIGKILL
        killed.countDown();
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LoopbackProxy.closeQuietly(client);
        LoopbackProxy.closeQuietly(upstream);
    }

    @Override
    public void close() throws IOException {
        killed.countDown();
        proxy.close();
    }
}
