package io.httpprofiler.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secrets sent by real clients (curl with {@code -u}, a bearer token, cookies, a JSON login, a form, a gzip-encoded JSON
 * body, a body written a byte at a time, a query parameter; a server answering with a token and a cookie) through the
 * packaged profiler writing all its outputs: with the defaults, no byte of any file it writes holds a secret (nor the
 * base64 or gzip form it travelled in), every place shows its redaction note, and every file is 0600. With {@code
 * --no-redact} the same traffic shows the secrets, and {@code --file-mode 0640} is honoured.
 */
@Tag("root")
class RedactionIT {
    private static final String BASIC_PASSWORD = "S3CR3T-basic-pw";
    private static final String BEARER = "S3CR3T-bearer-eyJhbGciOiJIUzI1NiJ9";
    private static final String COOKIE = "S3CR3T-cookie-value";
    private static final String VAULT_TOKEN = "S3CR3T-vault-token";
    private static final String JSON_PASSWORD = "S3CR3T-json-pw";
    private static final String FORM_PASSWORD = "S3CR3T-form-pw";
    private static final String GZIP_TOKEN = "S3CR3T-gzip-token";
    private static final String SPLIT_SECRET = "S3CR3T-split-client-secret";
    private static final String QUERY_KEY = "S3CR3T-query-key";
    private static final String UNDECODABLE = "S3CR3T-in-a-body-that-claims-br";
    private static final String RESPONSE_TOKEN = "S3CR3T-response-token";
    private static final String SET_COOKIE = "S3CR3T-set-cookie";
    private static final List<String> SECRETS = List.of(BASIC_PASSWORD, BEARER, COOKIE, VAULT_TOKEN, JSON_PASSWORD, FORM_PASSWORD,
            GZIP_TOKEN, SPLIT_SECRET, QUERY_KEY, UNDECODABLE, RESPONSE_TOKEN, SET_COOKIE);
    /** What the secrets travelled as besides themselves: HTTP Basic's base64, the gzip body's bytes in base64. */
    private static final String BASIC_BASE64 = Base64.getEncoder()
            .encodeToString(("alice:" + BASIC_PASSWORD).getBytes(StandardCharsets.UTF_8));
    private static final byte[] GZIP_BODY = gzip("{\"user\":\"alice\",\"token\":\"" + GZIP_TOKEN + "\"}");

    @TempDir
    static Path dir;
    private static HttpServer server;
    private static ExecutorService executor;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        executor = Executors.newFixedThreadPool(4);
        server = E2e.startHttpServer(LOOPBACK, 16, RedactionIT::handle, executor);
        port = server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        E2e.stopHttpServer(server, executor);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            byte[] body;
            if (exchange.getRequestURI().getPath().equals("/login")) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.getResponseHeaders().add("Set-Cookie", "session=" + SET_COOKIE + "; Path=/; HttpOnly");
                body = ("{\"access_token\":\"" + RESPONSE_TOKEN + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}")
                        .getBytes(StandardCharsets.UTF_8);
            } else {
                body = "ok\n".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    /** Every kind of secret, each by a real client; returns the number of exchanges (each seen by client and server). */
    private static int sendSecrets(Path work) throws Exception {
        String base = "http://127.0.0.1:" + port;
        List<String[]> calls = new ArrayList<>();
        calls.add(new String[]{"-u", "alice:" + BASIC_PASSWORD, base + "/basic"});
        calls.add(new String[]{"-H", "Authorization: Bearer " + BEARER, "-H", "X-Vault-Token: " + VAULT_TOKEN,
                base + "/bearer"});
        calls.add(new String[]{"-b", "sid=" + COOKIE + "; theme=dark", base + "/cookies"});
        calls.add(new String[]{"-H", "Content-Type: application/json", "--data",
                "{\"username\":\"alice\",\"password\":\"" + JSON_PASSWORD + "\",\"remember\":true}", base + "/login"});
        calls.add(new String[]{"--data", "username=alice&password=" + FORM_PASSWORD + "&next=%2Fhome", base + "/form"});
        Path gz = work.resolve("body.json.gz");
        Files.write(gz, GZIP_BODY);
        calls.add(new String[]{"-H", "Content-Type: application/json", "-H", "Content-Encoding: gzip",
                "--data-binary", "@" + gz, base + "/gzip"});
        calls.add(new String[]{base + "/search?q=shoes&api_key=" + QUERY_KEY + "&page=2"});
        calls.add(new String[]{"-H", "Content-Type: application/json", "-H", "Content-Encoding: br",
                "--data-binary", "{\"note\":\"" + UNDECODABLE + "\"}", base + "/br"});
        for (String[] call : calls) {
            List<String> args = new ArrayList<>(List.of("-o", "/dev/null"));
            args.addAll(List.of(call));
            E2e.curl(work, args.toArray(String[]::new));
        }
        splitBody();
        return calls.size() + 1;
    }

    /** A JSON body written a byte per send(): the profiler sees it in as many pieces. */
    private static void splitBody() throws IOException {
        byte[] body = ("{\"client_id\":\"app\",\"client_secret\":\"" + SPLIT_SECRET + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port));
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /split HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (byte b : body) {
                out.write(b);
                out.flush();
            }
            RawHttp.readResponse(socket.getInputStream(), false);
        }
    }

    private static ProfilerProcess runProfiler(Path out, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--har",
                out.resolve("http-trace.har").toString(), "--summary", out.resolve("summary.json").toString(),
                "--summary-interval", "0.5"));
        args.addAll(List.of(extra));
        return ProfilerProcess.start(out, args.toArray(String[]::new));
    }

    /** Every file the profiler wrote, with its bytes. */
    private static List<Path> files(Path out) throws IOException {
        try (Stream<Path> all = Files.walk(out)) {
            return all.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void noSecretInAnyByteOfAnyOutputFile() throws Exception {
        Path work = dir.resolve("redacted");
        Path out = work.resolve("out");
        Files.createDirectories(out);
        int exchanges;
        List<String> stderr;
        try (ProfilerProcess profiler = runProfiler(out)) {
            exchanges = sendSecrets(work);
            profiler.awaitMatching(e -> true, 2 * exchanges, WAIT);
            profiler.stopAndExpectCleanExit();
            stderr = profiler.stderr();
        }
        List<Path> files = files(out);
        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("http-summary.txt", "http-trace.har", "http-trace.jsonl", "http-trace.txt", "summary.json"),
                names);
        List<String> forbidden = new ArrayList<>(SECRETS);
        forbidden.add(BASIC_BASE64);
        forbidden.add(Base64.getEncoder().encodeToString(GZIP_BODY));
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            for (String secret : forbidden) {
                assertFalse(text.contains(secret), () -> file.getFileName() + " holds " + secret);
                // also no piece long enough to mean something
                assertFalse(text.contains(secret.substring(0, 12)), () -> file.getFileName() + " holds part of " + secret);
            }
            assertFalse(indexOf(bytes, GZIP_BODY), () -> file.getFileName() + " holds the raw gzip body");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                    () -> file + " mode");
        }
        String transcript = Files.readString(out.resolve("http-trace.txt"));
        for (String note : List.of("Authorization: Basic [redacted 28 bytes]",
                "Authorization: Bearer [redacted " + BEARER.length() + " bytes]",
                "Cookie: sid=[redacted " + COOKIE.length() + " bytes]; theme=[redacted 4 bytes]",
                "X-Vault-Token: [redacted " + VAULT_TOKEN.length() + " bytes]",
                "\"password\":\"[redacted " + JSON_PASSWORD.length() + " bytes]\",\"remember\":true",
                "password=[redacted " + FORM_PASSWORD.length() + " bytes]&next=%2Fhome",
                "\"token\":\"[redacted " + GZIP_TOKEN.length() + " bytes]\"",
                "gzip decoded to",
                "\"client_secret\":\"[redacted " + SPLIT_SECRET.length() + " bytes]\"",
                "/search?q=shoes&api_key=[redacted " + QUERY_KEY.length() + " bytes]&page=2",
                "Body (" + (UNDECODABLE.length() + 11) + " bytes): [redacted " + (UNDECODABLE.length() + 11) + " bytes]",
                "\"access_token\":\"[redacted " + RESPONSE_TOKEN.length() + " bytes]\",\"token_type\":\"Bearer\"",
                ": session=[redacted " + SET_COOKIE.length() + " bytes]; Path=/; HttpOnly")) {
            assertEquals(2, count(transcript, note), () -> "client and server each show " + note + "\n" + transcript);
        }
        String json = Files.readString(out.resolve("http-trace.jsonl"));
        assertTrue(json.contains("[\"Authorization\",\"Bearer [redacted " + BEARER.length() + " bytes]\"]"), json);
        String har = Files.readString(out.resolve("http-trace.har"));
        assertTrue(har.contains("{\"name\":\"sid\",\"value\":\"[redacted " + COOKIE.length() + " bytes]\"}"), har);
        assertTrue(har.contains("{\"name\":\"api_key\",\"value\":\"[redacted " + QUERY_KEY.length() + " bytes]\"}"), har);
        String totals = stderr.stream().filter(l -> l.contains("stopped")).findFirst().orElseThrow();
        // per side: basic, bearer, vault token, the Cookie header, json pw, form pw, gzip token, split, query, 2 in the login
        // response; exchanges: those 8 and the withheld body's
        assertTrue(totals.contains("redacted " + 2 * 11 + " values in " + 2 * 9 + " exchanges (2 undecodable bodies"
                + " withheld)"), totals);
    }

    @Test
    void noRedactShowsThemAndFileModeIsHonoured() throws Exception {
        Path work = dir.resolve("plain");
        Path out = work.resolve("out");
        Files.createDirectories(out);
        try (ProfilerProcess profiler = runProfiler(out, "--no-redact", "--file-mode", "0640")) {
            int exchanges = sendSecrets(work);
            profiler.awaitMatching(e -> true, 2 * exchanges, WAIT);
            profiler.stopAndExpectCleanExit();
            assertTrue(profiler.stderr().stream().noneMatch(l -> l.contains("stopped") && l.contains("redacted")),
                    "no redaction counts");
        }
        String transcript = Files.readString(out.resolve("http-trace.txt"));
        for (String secret : List.of(BASIC_BASE64, BEARER, COOKIE, VAULT_TOKEN, JSON_PASSWORD, FORM_PASSWORD, GZIP_TOKEN,
                SPLIT_SECRET, QUERY_KEY, UNDECODABLE, RESPONSE_TOKEN, SET_COOKIE)) {
            assertTrue(transcript.contains(secret), () -> "--no-redact shows " + secret);
        }
        assertFalse(transcript.contains("[redacted"));
        for (Path file : files(out)) {
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                    () -> file + " mode");
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    private static boolean indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] gzip(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return bytes.toByteArray();
    }
}
