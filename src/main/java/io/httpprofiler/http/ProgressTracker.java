package io.httpprofiler.http;

import java.util.function.Consumer;

/**
 * Follows the exchanges of a pipeline that have started and not ended, and says when each is due for a progress
 * report: first once it has been open for {@link ProgressSettings#after()}, then each time its age has doubled (2 s, 4
 * s, 8 s...), at most {@link ProgressSettings#MAX_INTERVAL} apart. At most {@link ProgressSettings#maxInProgress()} are
 * reported at once; one that comes due beyond that is counted and left to be written when it ends.
 *
 * <p>Exchanges wait in the order they started (their heads are parsed about then), so each call looks only at those
 * that came due since the last one, plus the ones being reported: its cost does not grow with the exchanges open, nor
 * with idle connections (which have none). Single-threaded, clock-free: time is what the caller passes.
 */
final class ProgressTracker {
    private final long afterNanos;
    private final long maxIntervalNanos;
    private final int maxInProgress;
    private final Chain waiting = new Chain();
    private final Chain reported = new Chain();
    private long overCapOpen;
    private long reports;
    private long overCap;

    ProgressTracker(ProgressSettings settings) {
        this.afterNanos = settings.after().toNanos();
        this.maxIntervalNanos = Math.max(afterNanos, ProgressSettings.MAX_INTERVAL.toNanos());
        this.maxInProgress = settings.maxInProgress();
    }

    boolean enabled() {
        return afterNanos > 0;
    }

    /** Follows an exchange that starts now; null (nothing followed) when reporting is off. */
    OpenExchange open(ExchangeAssembler assembler, PendingRequest request, Http2Stream stream) {
        if (afterNanos == 0) {
            return null;
        }
        OpenExchange exchange = new OpenExchange(request.startNanos, assembler, request, stream);
        waiting.add(exchange);
        return exchange;
    }

    /**
     * The exchange ended (it is being delivered) or was dropped: no longer followed. Returns when its first progress
     * report was made, or -1 when it had none.
     */
    long close(OpenExchange exchange) {
        switch (exchange.state) {
            case WAITING -> waiting.remove(exchange);
            case REPORTED -> reported.remove(exchange);
            case OVER_CAP -> overCapOpen--;
            case CLOSED -> {
                return -1;
            }
        }
        exchange.state = OpenExchange.State.CLOSED;
        return exchange.reports > 0 ? exchange.firstReportNanos : -1;
    }

    /**
     * Hands each exchange due for a report at {@code nowNanos} to {@code report}, its report number and next due time
     * already updated (so a report that fails costs that report only).
     */
    void due(long nowNanos, Consumer<OpenExchange> report) {
        if (afterNanos == 0) {
            return;
        }
        for (OpenExchange exchange = reported.first, next; exchange != null; exchange = next) {
            next = exchange.next;
            if (exchange.nextDueNanos <= nowNanos) {
                scheduleNext(exchange, nowNanos);
                report.accept(exchange);
            }
        }
        for (OpenExchange exchange = waiting.first; exchange != null && nowNanos - exchange.startNanos >= afterNanos;
             exchange = waiting.first) {
            waiting.remove(exchange);
            if (reported.size >= maxInProgress) {
                exchange.state = OpenExchange.State.OVER_CAP;
                overCapOpen++;
                overCap++;
                continue;
            }
            exchange.state = OpenExchange.State.REPORTED;
            exchange.firstReportNanos = nowNanos;
            reported.add(exchange);
            scheduleNext(exchange, nowNanos);
            report.accept(exchange);
        }
    }

    /** Counts this report and sets the next: the exchange's age doubles between reports, up to the longest interval. */
    private void scheduleNext(OpenExchange exchange, long nowNanos) {
        reports++;
        long due = exchange.reports++ == 0 ? exchange.startNanos + afterNanos : exchange.nextDueNanos;
        do {
            due += Math.min(Math.max(due - exchange.startNanos, afterNanos), maxIntervalNanos);
        } while (due <= nowNanos);
        exchange.nextDueNanos = due;
    }

    /** Exchanges started and not ended. */
    long openExchanges() {
        return waiting.size + reported.size + overCapOpen;
    }

    /** Exchanges being reported in progress now. */
    long reportedNow() {
        return reported.size;
    }

    /** Progress reports made, all exchanges together. */
    long reports() {
        return reports;
    }

    /** Exchanges that came due while the most were reported already: not reported in progress. */
    long overCap() {
        return overCap;
    }

    /** A doubly linked list through the exchanges themselves, oldest first. */
    private static final class Chain {
        OpenExchange first;
        OpenExchange last;
        int size;

        void add(OpenExchange exchange) {
            exchange.previous = last;
            exchange.next = null;
            if (last == null) {
                first = exchange;
            } else {
                last.next = exchange;
            }
            last = exchange;
            size++;
        }

        void remove(OpenExchange exchange) {
            if (exchange.previous == null) {
                first = exchange.next;
            } else {
                exchange.previous.next = exchange.next;
            }
            if (exchange.next == null) {
                last = exchange.previous;
            } else {
                exchange.next.previous = exchange.previous;
            }
            exchange.previous = null;
            exchange.next = null;
            size--;
        }
    }
}
