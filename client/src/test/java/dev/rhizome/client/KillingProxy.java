package dev.rhizome.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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

    private final ServerSocket server;
    private final URI target;
    private volatile String requestStart;
    private volatile When when;
    private volatile Supplier<Process> victim;
    private volatile Runnable atKill = () -> { };
    private final AtomicBoolean fired = new AtomicBoolean();
    /** With {@link #armAfterAnswers}: how many matching answers are still to arrive (withheld) before the kill. */
    private volatile AtomicInteger answersToKill;
    private final CountDownLatch killed = new CountDownLatch(1);

    KillingProxy(String targetUrl) throws IOException {
        this.target = URI.create(targetUrl);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "killing-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
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

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getHost(), target.getPort());
                AtomicBoolean answerKills = new AtomicBoolean();
                start(() -> toServer(client, upstream, answerKills));
                start(() -> toClient(upstream, client, answerKills));
            } catch (IOException e) {
                return;  // closed
            }
        }
    }

    private static void start(Runnable pump) {
        Thread t = new Thread(pump, "killing-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void toServer(Socket client, Socket upstream, AtomicBoolean answerKills) {
        byte[] buf = new byte[64 * 1024];
        String carried = "";  // the end of the previous read: a request line may be split between reads
        try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                String seen = carried + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                String start = requestStart;
                if (start != null && seen.contains(start)) {
                    if (answersToKill == null) {
                        requestStart = null;
                    }
                    if (when == When.BEFORE_REQUEST) {
                        kill(client, upstream);
                        return;
                    }
                    answerKills.set(true);
                }
                out.write(buf, 0, n);
                out.flush();
                carried = seen.substring(Math.max(0, seen.length() - 64));
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            closeQuietly(upstream);
        }
    }

    private void toClient(Socket upstream, Socket client, AtomicBoolean answerKills) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (answerKills.get()) {
                    AtomicInteger counting = answersToKill;
                    if (counting != null && counting.decrementAndGet() > 0) {
                        killed.await();  // withheld: closing would tell the client its request failed
                        return;
                    }
                    kill(client, upstream);
                    return;
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(client);
        }
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
        closeQuietly(client);
        closeQuietly(upstream);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        killed.countDown();
        server.close();
    }
}
