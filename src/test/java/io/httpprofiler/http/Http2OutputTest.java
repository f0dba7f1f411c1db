package io.httpprofiler.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.httpprofiler.http.EventScript.Splitter;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.TranscriptWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How HTTP/2 and gRPC exchanges read in the transcript and in JSON Lines (BRIEF section 5b). */
class Http2OutputTest {

    private static List<Exchange> grpc() {
        return Recorder.run(PipelineSettings.defaults(),
                EventScript.client(7).events(H2Fixtures.load("grpc.bin"), Splitter.whole())).exchanges;
    }

    @Test
    void transcriptShowsStreamMessagesAndStatus() {
        TranscriptWriter writer = new TranscriptWriter(new ByteArrayOutputStream());
        StringBuilder all = new StringBuilder();
        for (Exchange exchange : grpc()) {
            all.append(writer.format(exchange));
        }
        String text = all.toString();
        assertTrue(text.contains(" fd 7  HTTP/2 stream 1  grpc-status 0  "), text);
        // pseudo-headers among the headers, in the order grpc-c sent them
        assertTrue(text.contains("  → POST /demo.Greeter/SayHello HTTP/2\n     :path: /demo.Greeter/SayHello\n"), text);
        assertTrue(text.contains("     Body (14 bytes, gRPC: 1 message)\n       message 1 (9 bytes): 1: \"alice\" 2: 42\n"),
                text);
        assertTrue(text.contains("       message 3 (17 bytes): 1: \"countdown bob\" 2: 1\n"), text);
        assertTrue(text.contains("HTTP/2 stream 7  grpc-status 5 \"no such user: bob\""), text);
        assertTrue(text.contains("     Trailer grpc-status: 0\n"), text);
    }

    @Test
    void jsonCarriesStreamVersionAndGrpc() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonLinesWriter writer = new JsonLinesWriter(out);
        for (Exchange exchange : grpc()) {
            writer.write(exchange);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length);
        ObjectMapper mapper = new ObjectMapper();
        JsonNode unary = mapper.readTree(lines[0]);
        assertEquals(1, unary.get("stream").asInt());
        assertEquals("HTTP/2", unary.at("/request/version").asText());
        assertEquals("POST", unary.at("/request/method").asText());
        assertEquals("/demo.Greeter/SayHello", unary.at("/request/target").asText());
        assertEquals(200, unary.at("/response/status").asInt());
        assertEquals(":path", unary.at("/request/headers/0/0").asText());
        assertEquals(0, unary.at("/grpc/status").asInt());
        assertEquals("request", unary.at("/grpc/messages/0/direction").asText());
        assertEquals("1: \"alice\" 2: 42", unary.at("/grpc/messages/0/fields").asText());
        assertEquals("1: \"hello alice\" 2: 42", unary.at("/grpc/messages/1/fields").asText());
        JsonNode failed = mapper.readTree(lines[3]);
        assertEquals(5, failed.at("/grpc/status").asInt());
        assertEquals("no such user: bob", failed.at("/grpc/message").asText());
    }

    @Test
    void http1JsonHasNoStreamOrGrpcMembers() throws IOException {
        Conversation conversation = Fixtures.thenNextOk(Fixtures.request("GET", "/", "", "Host: x"),
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonLinesWriter writer = new JsonLinesWriter(out);
        for (Exchange exchange : Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(conversation, Splitter.whole())).exchanges) {
            writer.write(exchange);
        }
        String json = out.toString(StandardCharsets.UTF_8);
        assertTrue(!json.contains("\"stream\"") && !json.contains("\"grpc\""), json);
    }
}
