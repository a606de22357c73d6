package dev.rhizome.coordinator.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Headless Chromium loading a page and giving its DOM after the scripts ran (as DashboardTest runs it). */
public final class Chromium {
    private Chromium() {
    }

    /** The page's DOM, or the test skipped where chromium is not installed (refused under RHIZOME_REQUIRE_PG, as CI). */
    public static String dumpDom(Path profile, String url) throws IOException, InterruptedException {
        String chromium = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome").stream()
                .filter(c -> Files.isExecutable(Path.of(c))).findFirst().orElse(null);
        if (chromium == null) {
            if ("1".equals(System.getenv("RHIZOME_REQUIRE_PG"))) {
                throw new IllegalStateException("chromium is not installed");
            }
            assumeTrue(false, "chromium is not installed; the dashboard test needs it");
        }
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=8000", "--dump-dom", url)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 120 s");
        }
        assertThat(p.exitValue()).as("chromium exit status").isZero();
        return new String(out, StandardCharsets.UTF_8);
    }
}
