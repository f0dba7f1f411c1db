package io.httpprofiler.output;

import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HeaderNames;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The writers' kept renderings of shared header names are exactly what rendering the name afresh writes. */
class RenderedNamesTest {

    @Test
    void sharedNamesRenderAsTheirCopies() throws IOException {
        assertArrayEquals(transcript(exchange(false)), transcript(exchange(true)));
        assertArrayEquals(json(exchange(false)), json(exchange(true)));
    }

    @Test
    void equalButOtherStringsMiss() {
        RenderedNames names = new RenderedNames(name -> new byte[] {1});
        for (String name : HeaderNames.SHARED) {
            assertNull(names.get(new String(name)));
        }
        assertNull(names.get(""));
        assertNull(names.get("X-Something-Else"));
    }

    private static Exchange exchange(boolean copies) {
        List<HttpHeader> headers = new ArrayList<>();
        for (String name : HeaderNames.SHARED) {
            headers.add(new HttpHeader(copies ? new String(name) : name, "v"));
        }
        HttpRequest request = new HttpRequest("GET", "/", "HTTP/1.1", headers, headers, Body.EMPTY);
        Exchange sample = Samples.serverGet();
        return new Exchange(sample.connection(), sample.tid(), sample.command(), sample.role(), sample.local(),
                sample.remote(), sample.startNanos(), sample.endNanos(), request, sample.response(), List.of());
    }

    private static byte[] transcript(Exchange exchange) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new TranscriptWriter(out).write(exchange);
        return out.toByteArray();
    }

    private static byte[] json(Exchange exchange) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new JsonLinesWriter(out).write(exchange);
        return out.toByteArray();
    }
}
