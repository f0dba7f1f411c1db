package io.httpprofiler.http;

/**
 * An exchange still in progress, as far as it got: reported once it has been open for a while, again at a bounded
 * rate, until it ends and is delivered whole as an {@link Exchange} (which then carries
 * {@link Notes#completesProgress(long)}).
 *
 * @param exchange         the exchange so far: the request, the response when its head was seen (else null), each body
 *                         with its exact size so far and the bytes kept so far; notes so far. Its {@code endNanos} is
 *                         {@code atNanos}, so its duration is the time open so far.
 * @param atNanos          wall-clock epoch nanoseconds of this report
 * @param report           1 for the exchange's first report, 2 for its second, ...
 * @param firstReportNanos when its first report was made ({@code atNanos} for the first)
 * @param events           Server-Sent Events the response has carried so far; -1 when it is not an event stream, or
 *                         missing (or unkept) bytes hid where its events end
 */
public record ExchangeProgress(Exchange exchange, long atNanos, int report, long firstReportNanos, long events) {

    /** A report of an exchange whose response is not an event stream. */
    public ExchangeProgress(Exchange exchange, long atNanos, int report, long firstReportNanos) {
        this(exchange, atNanos, report, firstReportNanos, -1);
    }

    public boolean first() {
        return report == 1;
    }

    /** How long the exchange has been open at this report. */
    public long openNanos() {
        return Math.max(0, atNanos - exchange.startNanos());
    }

    /** The same report about another rendering of the exchange (e.g. with secrets redacted). */
    public ExchangeProgress withExchange(Exchange other) {
        return new ExchangeProgress(other, atNanos, report, firstReportNanos, events);
    }
}
