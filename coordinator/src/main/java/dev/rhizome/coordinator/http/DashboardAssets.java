package dev.rhizome.coordinator.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The dashboard's files, served from the jar: the page and its script (no build step), and
 * uPlot from its WebJar. Read once, on first use.
 */
final class DashboardAssets {
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";

    private DashboardAssets() {
    }

    private static final class Loaded {
        static final byte[] PAGE = read("/dev/rhizome/coordinator/dashboard/index.html");
        static final byte[] SCRIPT = read("/dev/rhizome/coordinator/dashboard/app.js");
        static final byte[] CHART = read(UPLOT + "uPlot.iife.min.js");
        static final byte[] CHART_CSS = read(UPLOT + "uPlot.min.css");
    }

    static Reply page() {
        return Reply.bytes(Loaded.PAGE, "text/html; charset=utf-8");
    }

    static Reply script() {
        return Reply.bytes(Loaded.SCRIPT, "text/javascript; charset=utf-8");
    }

    static Reply chartScript() {
        return Reply.bytes(Loaded.CHART, "text/javascript; charset=utf-8");
    }

    static Reply chartStyles() {
        return Reply.bytes(Loaded.CHART_CSS, "text/css; charset=utf-8");
    }

    private static byte[] read(String resource) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " in the coordinator's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
