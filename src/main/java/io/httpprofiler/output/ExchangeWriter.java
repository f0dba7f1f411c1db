package io.httpprofiler.output;

import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;

import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;

/** An exchange sink that writes to a stream; as a sink, an I/O failure surfaces as {@link UncheckedIOException}. */
public interface ExchangeWriter extends ExchangeSink, Flushable, Closeable {
    void write(Exchange exchange) throws IOException;

    @Override
    default void accept(Exchange exchange) {
        try {
            write(exchange);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
