package io.httpprofiler.http;

/** Receives each exchange as soon as it is complete or given up on, on the pipeline's thread. */
@FunctionalInterface
public interface ExchangeSink {
    void accept(Exchange exchange);

    /** This sink, then {@code next}. */
    default ExchangeSink andThen(ExchangeSink next) {
        return exchange -> {
            accept(exchange);
            next.accept(exchange);
        };
    }
}
