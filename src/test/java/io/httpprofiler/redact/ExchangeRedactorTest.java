package io.httpprofiler.redact;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole exchanges: what is redacted where, what is passed on untouched, and the counts. */
class ExchangeRedactorTest {
    private final ExchangeRedactor redactor = new ExchangeRedactor(RedactionRules.defaults());

    private static Body text(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new Body(bytes.length, bytes.length, bytes, true, null, false);
    }

    private static Exchange exchange(HttpRequest request, HttpResponse response) {
        return new Exchange(new ConnectionId(1, 3, 1), 1, "app", Role.SERVER, null, null, 0, 1, request, response,
                List.of());
    }

    @Test
    void nothingSecretIsPassedOnAsItIs() {
        Exchange plain = exchange(new HttpRequest("GET", "/a?x=1", "HTTP/1.1",
                        List.of(new HttpHeader("Host", "h")), List.of(), Body.EMPTY),
                new HttpResponse("HTTP/1.1", 200, "OK", List.of(new HttpHeader("Content-Type", "application/json")),
                        List.of(), text("{\"name\":\"bob\",\"tokens\":3}")));
        assertSame(plain, redactor.redact(plain));
        assertEquals(0, redactor.redactedValues());
    }

    @Test
    void everyPlaceASecretCanBe() {
        Exchange secret = exchange(new HttpRequest("POST", "/login?api_key=K1&page=2", "HTTP/1.1",
                        List.of(new HttpHeader("Authorization", "Bearer T0KEN"),
                                new HttpHeader("Content-Type", "application/x-www-form-urlencoded")),
                        List.of(new HttpHeader("X-Checksum-Token", "abc")), text("user=bob&password=pw")),
                new HttpResponse("HTTP/1.1", 200, "OK", List.of(new HttpHeader("Set-Cookie", "sid=S1; Path=/")),
                        List.of(), text("{\"access_token\":\"AT\",\"expires_in\":60}")));
        Exchange out = redactor.redact(secret);
        assertEquals("/login?api_key=[redacted 2 bytes]&page=2", out.request().target());
        assertEquals("Bearer [redacted 5 bytes]", out.request().headers().get(0).value());
        assertEquals("[redacted 3 bytes]", out.request().trailers().get(0).value());
        assertEquals("user=bob&password=[redacted 2 bytes]", content(out.request().body()));
        assertEquals("sid=[redacted 2 bytes]; Path=/", out.response().headers().get(0).value());
        assertEquals("{\"access_token\":\"[redacted 2 bytes]\",\"expires_in\":60}", content(out.response().body()));
        assertEquals(20, out.request().body().size(), "the size on the wire stays");
        assertEquals(6, redactor.redactedValues());
        assertEquals(1, redactor.redactedExchanges());
    }

    /** A report of an exchange in progress is redacted like the exchange, and counted once: when written whole. */
    @Test
    void progressReportsAreRedactedWithoutBeingCounted() {
        Exchange soFar = exchange(new HttpRequest("GET", "/events?token=T0", "HTTP/1.1",
                List.of(new HttpHeader("Authorization", "Bearer T0KEN")), List.of(), Body.EMPTY), null);
        Exchange out = redactor.redactUncounted(soFar);
        assertEquals("/events?token=[redacted 2 bytes]", out.request().target());
        assertEquals("Bearer [redacted 5 bytes]", out.request().headers().get(0).value());
        assertEquals(0, redactor.redactedValues());
        assertEquals(0, redactor.redactedExchanges());
        redactor.redact(soFar);
        assertEquals(2, redactor.redactedValues());
        assertEquals(1, redactor.redactedExchanges());
    }

    /** Coded bytes the decoder could not undo may hold anything: the body is withheld, never shown coded. */
    @Test
    void undecodedCodedBodyIsWithheld() {
        byte[] coded = {0x1f, (byte) 0x8b, 8, 0, 'p', 'a', 's', 's'};
        Body body = new Body(coded.length, coded.length, coded, false, null, false);
        Exchange e = exchange(new HttpRequest("POST", "/x", "HTTP/1.1",
                List.of(new HttpHeader("Content-Encoding", "br")), List.of(), body), null);
        Exchange out = redactor.redact(e);
        assertEquals("[redacted 8 bytes]", content(out.request().body()));
        assertTrue(out.request().body().text());
        assertEquals(1, redactor.withheldBodies());
        assertFalse(content(out.request().body()).contains("pass"));
    }

    @Test
    void jsonSentAsPlainTextOrWithoutTypeIsRedactedToo() {
        for (List<HttpHeader> headers : List.of(List.of(new HttpHeader("Content-Type", "text/plain;charset=UTF-8")),
                List.<HttpHeader>of())) {
            Exchange e = exchange(new HttpRequest("POST", "/beacon", "HTTP/1.1", headers, List.of(),
                    text(" {\"session_token\":\"abc\"}")), null);
            assertEquals(" {\"session_token\":\"[redacted 3 bytes]\"}", content(redactor.redact(e).request().body()));
        }
        Exchange html = exchange(new HttpRequest("POST", "/x", "HTTP/1.1",
                List.of(new HttpHeader("Content-Type", "text/html")), List.of(), text("{\"token\":\"abc\"}")), null);
        assertSame(html, redactor.redact(html), "only JSON-ish types are parsed as JSON");
    }

    private static String content(Body body) {
        return new String(body.content(), StandardCharsets.UTF_8);
    }
}
