package io.httpprofiler.e2e;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.httpprofiler.e2e.E2e.TEST_PID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Java's own TLS (JSSE: the JDK's HttpClient and HttpsServer, both in this JVM) is not read in plaintext: no library
 * call carries it. Its connections must be detected by their TLS records, counted, and explained once for the process
 * on stderr; never shown as garbage exchanges.
 */
@Tag("root")
class JsseTlsIT {
    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;
    private static HttpsServer server;
    private static ExecutorService threads;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        TlsFixtures.makeCertificate(dir);
        E2e.run(dir.resolve("openssl.log"), Duration.ofSeconds(60), "openssl", "pkcs12", "-export", "-in",
                dir.resolve("cert.pem").toString(), "-inkey", dir.resolve("key.pem").toString(), "-out",
                dir.resolve("server.p12").toString(), "-passout", "pass:changeit", "-name", "server");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keyManagers.getKeyManagers(), null, null);
        threads = Executors.newFixedThreadPool(2);
        server = HttpsServer.create(new InetSocketAddress(E2e.LOOPBACK, 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
        server.createContext("/", exchange -> {
            byte[] body = "jsse answer\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(threads);
        server.start();
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(server.getAddress().getPort()),
                "--stats-interval", "1");
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server != null) {
                server.stop(0);
            }
            if (threads != null) {
                threads.shutdownNow();
            }
        });
    }

    /** The latest stats line once it counts at least the two ends of one connection as not decrypted. */
    private static String statsLine() {
        List<String> lines = profiler.stderr().stream()
                .filter(line -> line.matches(".*stats:.*TLS not decrypted ([2-9]|\\d\\d+) connections.*")).toList();
        return lines.isEmpty() ? null : lines.get(lines.size() - 1);
    }

    private static SSLContext trustingEveryone() throws Exception {
        X509TrustManager everyone = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[]{everyone}, null);
        return context;
    }

    @Test
    void jdkHttpClientOverHttpsIsCountedAndExplainedNotShown() throws Exception {
        URI uri = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/jsse-path");
        HttpClient client = HttpClient.newBuilder().sslContext(trustingEveryone())
                .version(HttpClient.Version.HTTP_1_1).build(); // not AutoCloseable before JDK 21
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("jsse answer\n", response.body());
        }
        String explanation = "PID " + TEST_PID + " (java) uses TLS whose plaintext the profiler cannot see: Java's own"
                + " TLS (JSSE) is not supported";
        long deadline = System.nanoTime() + E2e.WAIT.toNanos();
        while (profiler.stderr().stream().noneMatch(line -> line.contains(explanation)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        List<String> stderr = profiler.stderr();
        assertEquals(1, stderr.stream().filter(line -> line.contains("uses TLS whose plaintext")).count(),
                () -> "one explanation for the process: " + stderr);
        assertTrue(stderr.stream().anyMatch(line -> line.contains(explanation)), () -> "stderr: " + stderr);
        // The stats line (--stats-interval 1) carries the count.
        deadline = System.nanoTime() + E2e.WAIT.toNanos();
        while (statsLine() == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        String totals = statsLine();
        assertTrue(totals != null, () -> "a stats line counting them: " + profiler.stderr());
        assertTrue(totals.contains("non-HTTP connections 0"), () -> "not taken for another protocol: " + totals);
        String json = profiler.jsonLinesText();
        assertTrue(json.isEmpty(), () -> "nothing shown: " + json);
        assertFalse(profiler.transcript().contains("jsse"), "no garbage in the transcript");
    }
}
