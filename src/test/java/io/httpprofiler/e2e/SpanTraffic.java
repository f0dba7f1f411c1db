package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The traffic the span export tests send and then look for in a tracing backend: a JDK HTTP server in this JVM and a
 * raw server that never answers, called by this JVM's HttpClient, so that each exchange is recorded twice (client and
 * server). One request carries a W3C traceparent, one gets a 500, one a 201 with a body, one no response at all.
 */
final class SpanTraffic implements AutoCloseable {
    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PARENT_SPAN_ID = "00f067aa0ba902b7";
    static final String TRACEPARENT = "00-" + TRACE_ID + "-" + PARENT_SPAN_ID + "-01";
    static final String TRACED = "/orders/17";
    static final String TRACED_TARGET = TRACED + "?expand=items";
    static final String FAILING = "/fail";
    static final String CREATED = "/items";
    static final String UNANSWERED = "/unanswered";
    static final String POSTED = "{\"name\":\"x\"}";
    /** The four targets {@link #sendExamples()} sends, one exchange each. */
    static final List<String> EXAMPLE_TARGETS = List.of(TRACED_TARGET, FAILING, CREATED, UNANSWERED);

    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final HttpServer server;
    private final ServerSocket mute;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    SpanTraffic() throws IOException {
        server = E2e.startHttpServer(LOOPBACK, 50, SpanTraffic::answer, pool);
        mute = new ServerSocket(0, 50, LOOPBACK);
        pool.submit(() -> E2e.acceptEach(mute, pool, SpanTraffic::readAndHangUp));
    }

    /** The profiler's port filter: both servers, nothing else (not the backend's port). */
    String ports() {
        return server.getAddress().getPort() + "," + mute.getLocalPort();
    }

    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
            String path = exchange.getRequestURI().getPath();
            int status = path.equals(FAILING) ? 500 : path.equals(CREATED) ? 201 : 200;
            byte[] body = ("answer to " + path).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Reads the request head and closes: the exchange has no response on either side. */
    private static void readAndHangUp(Socket connection) throws IOException {
        InputStream in = connection.getInputStream();
        int matched = 0;
        byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            matched = b == end[matched] ? matched + 1 : b == end[0] ? 1 : 0;
        }
    }

    /** One exchange to each of {@link #EXAMPLE_TARGETS}, one after the other. */
    void sendExamples() throws IOException, InterruptedException {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        assertEquals(200, client.send(HttpRequest.newBuilder(base.resolve(TRACED_TARGET))
                .header("traceparent", TRACEPARENT).build(), BodyHandlers.ofString()).statusCode());
        assertEquals(500, client.send(HttpRequest.newBuilder(base.resolve(FAILING)).build(),
                BodyHandlers.ofString()).statusCode());
        assertEquals(201, client.send(HttpRequest.newBuilder(base.resolve(CREATED))
                .POST(HttpRequest.BodyPublishers.ofString(POSTED)).build(), BodyHandlers.ofString()).statusCode());
        try (Socket socket = new Socket(LOOPBACK, mute.getLocalPort())) {
            socket.getOutputStream().write(("GET " + UNANSWERED + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, socket.getInputStream().read(), "the mute server answers nothing");
        }
    }

    /**
     * {@code count} GETs of /bulk/N, {@link #CONCURRENT} at a time (one after the other, the JDK server's separate
     * header and body writes meet delayed ACKs: 40 ms per exchange).
     */
    void sendMany(int count) {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        for (int first = 0; first < count; first += CONCURRENT) {
            List<CompletableFuture<HttpResponse<Void>>> pending = new ArrayList<>();
            for (int i = first; i < Math.min(count, first + CONCURRENT); i++) {
                pending.add(client.sendAsync(HttpRequest.newBuilder(base.resolve("/bulk/" + i)).build(),
                        BodyHandlers.discarding()));
            }
            for (CompletableFuture<HttpResponse<Void>> response : pending) {
                assertEquals(200, response.join().statusCode());
            }
        }
    }

    static final int CONCURRENT = 32;

    /** Both records (client and server) of every example exchange, as the profiler wrote them. */
    static List<JsonNode> awaitExampleRecords(ProfilerProcess profiler) throws IOException, InterruptedException {
        return profiler.awaitExchanges(all -> EXAMPLE_TARGETS.stream().allMatch(target ->
                all.stream().filter(e -> target.equals(E2e.target(e))).count() >= 2), E2e.WAIT).stream()
                .filter(e -> EXAMPLE_TARGETS.contains(E2e.target(e))).toList();
    }

    @Override
    public void close() throws IOException {
        server.stop(0);
        mute.close();
        pool.shutdownNow();
    }
}
