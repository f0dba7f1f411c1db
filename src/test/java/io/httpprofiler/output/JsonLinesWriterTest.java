package io.httpprofiler.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.httpprofiler.capture.ProcessOrigin;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpResponse;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonLinesWriterTest {
    private static final List<String> TOP_FIELDS = List.of("time", "duration_ms", "pid", "tid", "comm", "fd", "role",
            "local", "remote", "request", "response", "notes");
    private static final List<String> REQUEST_FIELDS = List.of("method", "target", "version", "headers", "trailers",
            "body_size", "body", "body_encoding", "body_truncated", "body_decoded");
    private static final List<String> RESPONSE_FIELDS = List.of("version", "status", "reason", "headers", "trailers",
            "body_size", "body", "body_encoding", "body_truncated", "body_decoded");

    private final ObjectMapper mapper = new ObjectMapper();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private List<JsonNode> lines() throws IOException {
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.endsWith("\n"));
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : text.split("\n")) {
            nodes.add(mapper.readTree(line));
        }
        return nodes;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void tlsExchangeNamesItsLibraryAndPlainOnesHaveNoTlsMember() throws IOException {
        JsonLinesWriter writer = new JsonLinesWriter(out);
        writer.write(Samples.serverGetOverTls());
        writer.write(Samples.serverGet());
        List<JsonNode> json = lines();
        assertEquals("libssl.so.3", json.get(0).path("tls").path("library").asText());
        assertEquals("nginx", json.get(0).path("comm").asText());
        assertEquals("/users?id=1", json.get(0).path("request").path("target").asText());
        assertFalse(json.get(1).has("tls"), "plain TCP: no tls member");
    }

    @Test
    void serverExchangeFollowsTheContract() throws IOException {
        JsonLinesWriter writer = new JsonLinesWriter(out);
        writer.write(Samples.serverGet());
        JsonNode json = lines().get(0);
        assertEquals(TOP_FIELDS, fieldNames(json));
        assertEquals("2026-11-22T11:30:00.123456Z", json.get("time").asText());
        assertEquals(1.234, json.get("duration_ms").asDouble(), 0);
        assertEquals(1234, json.get("pid").asInt());
        assertEquals(1235, json.get("tid").asInt());
        assertEquals("nginx", json.get("comm").asText());
        assertEquals(7, json.get("fd").asInt());
        assertEquals("server", json.get("role").asText());
        assertEquals("127.0.0.1:8080", json.get("local").asText());
        assertEquals("127.0.0.1:51234", json.get("remote").asText());

        JsonNode request = json.get("request");
        assertEquals(REQUEST_FIELDS, fieldNames(request));
        assertEquals("GET", request.get("method").asText());
        assertEquals("/users?id=1", request.get("target").asText());
        assertEquals("HTTP/1.1", request.get("version").asText());
        assertEquals("[[\"Host\",\"localhost:8080\"]]", request.get("headers").toString());
        assertEquals("[]", request.get("trailers").toString());
        assertEquals(0, request.get("body_size").asLong());
        assertEquals("", request.get("body").asText());
        assertEquals("text", request.get("body_encoding").asText());
        assertFalse(request.get("body_truncated").asBoolean());
        assertTrue(request.get("body_decoded").isNull());

        JsonNode response = json.get("response");
        assertEquals(RESPONSE_FIELDS, fieldNames(response));
        assertEquals("HTTP/1.1", response.get("version").asText());
        assertEquals(200, response.get("status").asInt());
        assertEquals("OK", response.get("reason").asText());
        assertEquals("[[\"Content-Type\",\"application/json\"],[\"Content-Length\",\"25\"]]",
                response.get("headers").toString());
        assertEquals(25, response.get("body_size").asLong());
        assertEquals(Samples.USERS, response.get("body").asText());
        assertEquals("text", response.get("body_encoding").asText());
        assertEquals("[]", json.get("notes").toString());
    }

    @Test
    void missingResponseIpv6AndNotes() throws IOException {
        JsonLinesWriter writer = new JsonLinesWriter(out);
        writer.write(Samples.clientPostWithoutResponse());
        JsonNode json = lines().get(0);
        assertEquals(TOP_FIELDS, fieldNames(json));
        assertTrue(json.get("response").isNull());
        assertTrue(json.get("duration_ms").isNull());
        assertEquals("client", json.get("role").asText());
        assertEquals("[::1]:40000", json.get("local").asText());
        assertEquals("[2001:db8::1]:443", json.get("remote").asText());
        assertEquals("line one\r\ntwo", json.get("request").get("body").asText());
        assertEquals("[\"response not seen\",\"incomplete: connection closed\"]", json.get("notes").toString());
    }

    @Test
    void binaryBodiesAreBase64AndUnknownsAreNull() throws IOException {
        byte[] image = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, (byte) 0xff};
        JsonLinesWriter writer = new JsonLinesWriter(out);
        writer.write(Samples.binaryChunkedResponse(image));
        JsonNode json = lines().get(0);
        assertTrue(json.get("comm").isNull());
        assertTrue(json.get("local").isNull());
        assertTrue(json.get("remote").isNull());
        assertEquals("unknown", json.get("role").asText());
        assertEquals(1530.0, json.get("duration_ms").asDouble(), 0);
        JsonNode response = json.get("response");
        assertEquals("base64", response.get("body_encoding").asText());
        assertEquals(Base64.getEncoder().encodeToString(image), response.get("body").asText());
        assertEquals(1_048_576, response.get("body_size").asLong());
        assertTrue(response.get("body_truncated").asBoolean());
        assertEquals("[[\"X-Checksum\",\"abc\"]]", response.get("trailers").toString());
    }

    @Test
    void eachExchangeIsOneLineFlushedAtOnce() throws IOException {
        JsonLinesWriter writer = new JsonLinesWriter(out);
        writer.write(Samples.serverGet());
        int afterFirst = out.size();
        assertTrue(afterFirst > 0, "written through without waiting for more");
        writer.write(Samples.clientPostWithoutResponse());
        assertTrue(out.size() > afterFirst);
        assertEquals(2, lines().size());
        writer.close();
    }

    @Test
    void textWithQuotesAndControlsIsEscaped() throws IOException {
        JsonLinesWriter writer = new JsonLinesWriter(out);
        var base = Samples.serverGet();
        var response = new HttpResponse("HTTP/1.1", 200, "OK", List.of(), List.of(),
                Samples.text("say \"hi\"\n\tü"));
        writer.write(new Exchange(base.connection(), base.tid(), base.command(), base.role(),
                base.local(), base.remote(), base.startNanos(), base.endNanos(), base.request(), response,
                List.of()));
        assertEquals("say \"hi\"\n\tü", lines().get(0).get("response").get("body").asText());
        assertFalse(out.toString(StandardCharsets.UTF_8).trim().contains("\n"), "one line");
    }

    @Test
    void originNamesTheContainerAndLeavesAnUnreadableNamespaceNull() throws IOException {
        String docker = "ab".repeat(32);
        String podman = "cd".repeat(32);
        ProcessOrigin inDocker = new ProcessOrigin(4026532001L, "/docker/" + docker, docker, "docker", null, null, null);
        // The profiler may read a process's cgroup but not its namespace link (no CAP_SYS_PTRACE): netns is unknown.
        ProcessOrigin namespaceUnreadable = new ProcessOrigin(0, "/libpod_parent/libpod-" + podman, podman, "podman",
                null, null, null);
        JsonLinesWriter writer = new JsonLinesWriter(out, pid -> pid == 1234 ? inDocker : namespaceUnreadable);
        writer.write(Samples.serverGet());
        writer.write(Samples.clientPostWithoutResponse());
        List<JsonNode> json = lines();
        JsonNode first = json.get(0).path("origin");
        assertEquals(4026532001L, first.path("netns").asLong());
        assertEquals(docker, first.path("container_id").asText());
        assertEquals("docker", first.path("container_runtime").asText());
        assertTrue(first.path("pod").isNull());
        JsonNode second = json.get(1).path("origin");
        assertTrue(second.has("netns") && second.path("netns").isNull(), "unknown netns is null, not 0: " + second);
        assertEquals(podman, second.path("container_id").asText());
        assertEquals("podman", second.path("container_runtime").asText());
    }
}
