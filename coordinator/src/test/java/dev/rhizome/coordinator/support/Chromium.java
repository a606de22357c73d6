package dev.rhizome.coordinator.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Headless Chromium, as the dashboard tests run it: a page's DOM after its scripts ran, or a screenshot. */
public final class Chromium {
    private Chromium() {
    }

    /** The installed browser, or the test skipped where none is (refused under RHIZOME_REQUIRE_PG: CI installs it). */
    public static String find() {
        for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        if ("1".equals(System.getenv("RHIZOME_REQUIRE_PG"))) {
            throw new IllegalStateException("chromium is not installed");
        }
        assumeTrue(false, "chromium is not installed; the dashboard test needs it");
        return null;
    }

    /** The page's DOM after its scripts ran. */
    public static String dumpDom(Path profile, String url) throws IOException, InterruptedException {
        return run(find(), profile, "--dump-dom", url);
    }

    /** Runs {@code chromium} headless with {@code args} in its own profile; its standard output. */
    public static String run(String chromium, Path profile, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=8000"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 120 s");
        }
        assertThat(p.exitValue()).as("chromium exit status").isZero();
        return new String(out, StandardCharsets.UTF_8);
    }
}
