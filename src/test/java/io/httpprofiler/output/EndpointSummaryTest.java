package io.httpprofiler.output;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndpointSummaryTest {
    @Test
    void routeTemplates() {
        assertEquals("/users/{id}/orders/{id}", RouteTemplate.of("/users/42/orders/7?x=1"));
        assertEquals("/o/{id}", RouteTemplate.of("/o/123e4567-e89b-12d3-a456-426614174000"));
        assertEquals("/blob/{id}", RouteTemplate.of("/blob/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"));
        assertEquals("/blob/cafe", RouteTemplate.of("/blob/cafe"), "short hex is a word");
        assertEquals("/v2/users/{id}/", RouteTemplate.of("/v2/users/1/"));
        assertEquals("/a", RouteTemplate.of("http://example.com/a?b#c"));
        assertEquals("/", RouteTemplate.of("http://example.com"));
        assertEquals("*", RouteTemplate.of("*"));
        assertEquals("/", RouteTemplate.of("/?q=1"));
        assertTrue(RouteTemplate.of("/" + "a".repeat(500)).length() <= RouteTemplate.MAX_LENGTH + 1);
    }

    private static Exchange exchange(String target, int status, long micros) {
        HttpResponse response = status == 0 ? null
                : new HttpResponse("HTTP/1.1", status, "", List.of(), List.of(), new Body(10, 10, new byte[10], true,
                null, false));
        return new Exchange(new ConnectionId(1, 3, 1), 1, "app", Role.SERVER, null, null, 0, micros * 1000,
                new HttpRequest("GET", target, "HTTP/1.1", List.of(), List.of(), Body.EMPTY), response, List.of());
    }

    @Test
    void countsStatusesAndPercentiles() {
        EndpointSummary summary = new EndpointSummary(0);
        for (int i = 1; i <= 100; i++) {
            summary.accept(exchange("/items/" + i, i <= 90 ? 200 : i <= 95 ? 404 : 503, i * 1000L));
        }
        summary.accept(exchange("/items/0", 0, 0));
        List<EndpointSummary.Row> rows = summary.rows();
        assertEquals(1, rows.size(), "all ids are one route");
        EndpointSummary.Stats s = rows.get(0).stats();
        assertEquals(101, s.count());
        assertEquals(90, s.status(2));
        assertEquals(5, s.status(4));
        assertEquals(5, s.status(5));
        assertEquals(1, s.incomplete());
        assertEquals(1000, s.responseBytes());
        assertEquals(50, s.percentileMillis(50), 50 * 0.01);
        assertEquals(90, s.percentileMillis(90), 90 * 0.01);
        assertEquals(99, s.percentileMillis(99), 99 * 0.01);
        assertEquals(100, s.maxMillis(), 1);
        String text = SummaryReport.text(summary, 1_000_000_000L);
        assertTrue(text.contains("/items/{id}"), text);
    }

    @Test
    void routesAreCappedWithAnOtherRow() {
        EndpointSummary summary = new EndpointSummary(0);
        for (int i = 0; i < EndpointSummary.MAX_ROUTES + 50; i++) {
            summary.accept(exchange("/page-" + i, 200, 100));
        }
        List<EndpointSummary.Row> rows = summary.rows();
        assertEquals(EndpointSummary.MAX_ROUTES + 1, rows.size());
        assertEquals(EndpointSummary.OTHER, rows.get(rows.size() - 1).endpoint().route());
        assertEquals(50, rows.get(rows.size() - 1).stats().count());
    }
}
