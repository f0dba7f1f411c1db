package io.httpprofiler.output;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.zone.ZoneRules;

/**
 * Formats epoch nanoseconds as {@code 2026-11-22T11:30:00.123456Z} or {@code 2026-11-22 11:30:00.123} without
 * allocating a formatter per call: the date part is cached per day, the rest is digits. One instance per writer (it is
 * not shared).
 */
final class Timestamps {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int SECONDS_PER_DAY = 86_400;

    private final ZoneRules zone;
    private long cachedDay = Long.MIN_VALUE;
    private String cachedDate;

    Timestamps(ZoneId zone) {
        this.zone = zone.getRules();
    }

    /** ISO-8601 in UTC with microseconds: {@code 2026-11-22T11:30:00.123456Z}. */
    void appendIsoUtcMicros(StringBuilder out, long epochNanos) {
        append(out, epochNanos, 0, 'T', 6);
        out.append('Z');
    }

    /** Local to this formatter's zone, with milliseconds: {@code 2026-11-22 11:30:00.123}. */
    void appendLocalMillis(StringBuilder out, long epochNanos) {
        long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        int offset = zone.isFixedOffset() ? zone.getOffset(Instant.EPOCH).getTotalSeconds()
                : zone.getOffset(Instant.ofEpochSecond(seconds)).getTotalSeconds();
        append(out, epochNanos, offset, ' ', 3);
    }

    private void append(StringBuilder out, long epochNanos, int offsetSeconds, char separator, int fractionDigits) {
        long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND) + offsetSeconds;
        long nanos = Math.floorMod(epochNanos, NANOS_PER_SECOND);
        long day = Math.floorDiv(seconds, SECONDS_PER_DAY);
        int secondOfDay = Math.floorMod(seconds, SECONDS_PER_DAY);
        if (day != cachedDay) {
            cachedDay = day;
            cachedDate = LocalDate.ofEpochDay(day).toString();
        }
        out.append(cachedDate).append(separator);
        twoDigits(out, secondOfDay / 3600);
        out.append(':');
        twoDigits(out, secondOfDay / 60 % 60);
        out.append(':');
        twoDigits(out, secondOfDay % 60);
        out.append('.');
        long fraction = nanos;
        for (int i = 9; i > fractionDigits; i--) {
            fraction /= 10;
        }
        for (long scale = pow10(fractionDigits - 1); scale > 0; scale /= 10) {
            out.append((char) ('0' + fraction / scale % 10));
        }
    }

    private static void twoDigits(StringBuilder out, int value) {
        out.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }

    private static long pow10(int exponent) {
        long value = 1;
        for (int i = 0; i < exponent; i++) {
            value *= 10;
        }
        return value;
    }
}
