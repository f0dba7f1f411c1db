package io.httpprofiler.output;

import io.httpprofiler.http.Exchange;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** JsonLinesBenchmark compares like with like: Jackson's generator, as JacksonJsonLinesWriter drives it, writes the bytes
 * JsonLinesWriter writes, for GoldenOutputTest's awkward exchanges. */
class JacksonJsonLinesWriterTest {
    @Test
    void writesTheSameBytesAsJsonLinesWriter() throws IOException {
        ByteArrayOutputStream handMade = new ByteArrayOutputStream();
        ByteArrayOutputStream jackson = new ByteArrayOutputStream();
        JsonLinesWriter ours = new JsonLinesWriter(handMade);
        JacksonJsonLinesWriter theirs = new JacksonJsonLinesWriter(jackson);
        for (Exchange exchange : GoldenOutputTest.exchanges()) {
            ours.write(exchange);
            theirs.write(exchange);
        }
        assertArrayEquals(handMade.toByteArray(), jackson.toByteArray());
    }
}
