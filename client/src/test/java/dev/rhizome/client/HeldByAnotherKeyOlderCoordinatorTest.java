package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.proto.v1.Error;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `held_by_another_key` asks the coordinator for the unit by its id (`GET /v1/units?unit=`, round
 * 35). A coordinator older than that refuses the parameter, as its router refuses any it does not
 * know (400), and the agent got the bare local `unknown_unit` ("claim it first") for another
 * agent's unit again. Here a real coordinator answers through a loopback server that answers that
 * route as the older one did: the client pages the LEASED units instead, and says who holds it.
 */
class HeldByAnotherKeyOlderCoordinatorTest {
    @TempDir
    Path dir;

    @Test
    void anOlderCoordinatorRefusingTheUnitParameterIsAskedPageByPage() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                OlderCoordinator older = new OlderCoordinator(c.url(), 400)) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            Path first = dir.resolve("first");
            JsonObject claim = CliRun.at(c.url(), first, "claim", "--direction", "d", "--json").succeeded("claim").json();
            String unitId = claim.getAsJsonObject("unit").get("id").getAsString();
            String firstKey = CliRun.of("id", "--data-dir", first.toString(), "--json").json().get("id").getAsString();

            JsonObject held = CliRun.at(older.url(), dir.resolve("second"), "submit", "--unit", unitId, "--workspace",
                    Files.createDirectories(dir.resolve("ws")).toString(), "--json")
                    .failure(ExitCodes.REFUSED, "held_by_another_key", "held by another key (" + firstKey);
            assertThat(held.get("hint").getAsString()).contains("another agent's claim of direction d");
            // it asked the one-unit way first, was refused as the older coordinator refuses it, then paged
            assertThat(older.asked).anyMatch(q -> q.startsWith("/v1/units?") && q.contains("unit="))
                    .anyMatch(q -> q.startsWith("/v1/units?") && q.contains("state=LEASED") && !q.contains("unit="));
        }
    }

    @Test
    void aRouteNotFoundIsAskedPageByPage() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                OlderCoordinator older = new OlderCoordinator(c.url(), 404)) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            Path first = dir.resolve("first");
            String unitId = CliRun.at(c.url(), first, "claim", "--direction", "d", "--json").succeeded("claim").json()
                    .getAsJsonObject("unit").get("id").getAsString();
            CliRun.at(older.url(), dir.resolve("second"), "submit", "--unit", unitId, "--workspace",
                    Files.createDirectories(dir.resolve("ws")).toString(), "--json")
                    .failure(ExitCodes.REFUSED, "held_by_another_key");
            assertThat(older.asked).anyMatch(q -> q.startsWith("/v1/units?") && q.contains("state=LEASED"));
        }
    }

    @Test
    void theCurrentCoordinatorsUnknownUnitIsFinalAndNoPageIsRead() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                OlderCoordinator current = new OlderCoordinator(c.url(), 0)) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun.at(c.url(), dir.resolve("first"), "claim", "--direction", "d", "--json").succeeded("claim");
            // its 404 is about the unit ("unknown unit"), not the route: no page of LEASED units is read for it
            CliRun.at(current.url(), dir.resolve("second"), "submit", "--unit", "u-no-such-unit", "--workspace",
                    Files.createDirectories(dir.resolve("ws")).toString(), "--json").failure(ExitCodes.USAGE, "unknown_unit");
            assertThat(current.asked).anyMatch(q -> q.startsWith("/v1/units?") && q.contains("unit=u-no-such-unit"))
                    .noneMatch(q -> q.contains("state=LEASED"));
        }
    }

    /**
     * A loopback HTTP server in front of a real coordinator that forwards every request, except
     * {@code GET /v1/units} with a {@code unit} parameter: that one it answers with {@code status}
     * and a coordinator's error, as a coordinator from before round 35 did (0: forwards it too, as
     * the current coordinator answers it, to see what was asked).
     */
    private static final class OlderCoordinator implements AutoCloseable {
        private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "expect",
                "upgrade", "transfer-encoding");
        final List<String> asked = new CopyOnWriteArrayList<>();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newHttpClient();
        private final String target;
        private final int status;

        OlderCoordinator(String target, int status) throws IOException {
            this.target = target;
            this.status = status;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::answer);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private void answer(HttpExchange x) throws IOException {
            try (x) {
                String pathAndQuery = x.getRequestURI().getRawPath()
                        + (x.getRequestURI().getRawQuery() == null ? "" : "?" + x.getRequestURI().getRawQuery());
                asked.add(pathAndQuery);
                if (status != 0 && x.getRequestURI().getPath().equals("/v1/units") && pathAndQuery.matches(".*[?&]unit=.*")) {
                    Error refusal = status == 400
                            ? Error.newBuilder().setCode(Error.Code.BAD_REQUEST).setMessage("query parameter unit is "
                                    + "not one this route knows: it takes state, limit and after (names are case-sensitive)").build()
                            : Error.newBuilder().setCode(Error.Code.NOT_FOUND).setMessage("no route GET /v1/units").build();
                    reply(x, status, refusal.toByteArray());
                    return;
                }
                HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(target + pathAndQuery))
                        .method(x.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(x.getRequestBody().readAllBytes()));
                x.getRequestHeaders().forEach((name, values) -> {
                    if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        values.forEach(v -> forward.header(name, v));
                    }
                });
                HttpResponse<byte[]> answer = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                answer.headers().map().forEach((name, values) -> {
                    if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        x.getResponseHeaders().put(name, values);
                    }
                });
                reply(x, answer.statusCode(), answer.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static void reply(HttpExchange x, int status, byte[] body) throws IOException {
            x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
