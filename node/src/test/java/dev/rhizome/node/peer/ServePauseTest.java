package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The serve's pause point ({@code bundle-serving}, where a test SIGSTOPs a node mid-serve), driven
 * as a serve drives it: a real build on the bundle builders, its answer on a real Netty event loop.
 * The hold must be reached for every bundle, never on the loop (every link of it would stop) nor on
 * the builder's thread (an ask joined to the build would wait it out), and the answer must follow it.
 */
class ServePauseTest {
    final EventExecutor loop = new DefaultEventLoop();
    final BundleBuilders builders = new BundleBuilders(r -> new Thread(r, "test-builder"));
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> holds = new CopyOnWriteArrayList<>();
    final List<String> answers = new CopyOnWriteArrayList<>();

    /** Armed, holding until the test releases it, and saying where it held. */
    final ServePause pause = new ServePause(true, () -> {
        holds.add(Thread.currentThread().getName() + (loop.inEventLoop() ? " (the event loop)" : ""));
        try {
            release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    });

    @AfterEach
    void close() {
        release.countDown();
        builders.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aBuildFinishedBeforeItsListenerIsHeldOffTheLoopAndThenAnswered() throws Exception {
        CompletableFuture<String> build = builders.build("cached", () -> "bundle");
        build.get(30, TimeUnit.SECONDS);
        // A serve adds its listener on the event loop; a build already done runs it there, at once.
        loop.submit(() -> pause.answerOnLoop(build, loop, "bundle"::equals, this::answer)).get(30, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(30)).until(() -> holds.size() == 1);
        assertThat(holds).as("where the serve was held").allSatisfy(where -> assertThat(where).startsWith("serve-pause"));
        assertThat(answers).as("answered before the hold ended").isEmpty();
        release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == 1);
        assertThat(answers).containsExactly("bundle on the loop");
    }

    @Test
    void aBuildFinishingLaterIsHeldOffTheBuilderSoAnAskJoinedToItIsAnsweredMeanwhile() throws Exception {
        CountDownLatch listening = new CountDownLatch(1);
        CompletableFuture<String> build = builders.build("slow", () -> {
            listening.await(30, TimeUnit.SECONDS);
            return "bundle";
        });
        // Another ask of the same bundle joined the build first; its answer comes from the builder's thread.
        AtomicReference<String> joined = new AtomicReference<>();
        builders.<String>build("slow", () -> "not built twice").whenComplete((built, failure) -> joined.set(built));
        loop.submit(() -> pause.answerOnLoop(build, loop, "bundle"::equals, this::answer)).get(30, TimeUnit.SECONDS);
        listening.countDown();

        await().atMost(Duration.ofSeconds(30)).until(() -> holds.size() == 1);
        assertThat(holds).allSatisfy(where -> assertThat(where).startsWith("serve-pause"));
        await().atMost(Duration.ofSeconds(30)).until(() -> joined.get() != null);
        assertThat(joined.get()).as("the joined ask, while this serve is held").isEqualTo("bundle");
        assertThat(answers).isEmpty();
        release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == 1);
        assertThat(answers).containsExactly("bundle on the loop");
    }

    @Test
    void nothingToServeOrAFailedBuildIsAnsweredWithoutTheHold() throws Exception {
        CompletableFuture<String> notHeld = builders.build("not held", () -> "not held");
        CompletableFuture<String> failed = builders.build("failed", () -> {
            throw new IllegalStateException("disk");
        });
        loop.submit(() -> {
            pause.answerOnLoop(notHeld, loop, "bundle"::equals, this::answer);
            pause.answerOnLoop(failed, loop, "bundle"::equals, this::answer);
        }).get(30, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == 2);
        assertThat(answers).containsExactlyInAnyOrder("not held on the loop", "failed on the loop");
        assertThat(holds).isEmpty();
    }

    @Test
    void unarmedABundleIsAnsweredOnTheLoopUnheld() throws Exception {
        ServePause unarmed = new ServePause(false, () -> holds.add("held"));
        CompletableFuture<String> build = builders.build("bundle", () -> "bundle");
        unarmed.answerOnLoop(build, loop, "bundle"::equals, this::answer);

        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == 1);
        assertThat(answers).containsExactly("bundle on the loop");
        assertThat(holds).isEmpty();
    }

    private void answer(String built, Throwable failure) {
        answers.add((failure != null ? "failed" : built) + (loop.inEventLoop() ? " on the loop" : " off the loop"));
    }
}
