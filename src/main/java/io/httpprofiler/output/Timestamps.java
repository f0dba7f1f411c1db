package io.httpprofiler.output;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.zone.ZoneRules;

/**
 * Formats epoch nanoseconds as {@code 2026-11-22T11:30:00.123456Z} or {@code 2026-11-22 11:30:00.123} without
 * allocating per call: everything up to the second is cached per second (exchanges come many to a second), the
 * fraction is digits. One instance per writer (it is not shared).
 */
final class Timestamps {
    /**
     * Room either format needs at most: {@code 2026-11-22T11:30:00.123456Z} is 27 bytes, but years beyond 9999 (or
     * before 0) take a sign and more digits, as {@link LocalDate#toString()} writes them.
     */
    static final int MAX_LENGTH = 40;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int SECONDS_PER_DAY = 86_400;

    private final ZoneRules zone;
    private final SecondText isoSeconds = new SecondText('T');
    private final SecondText localSeconds = new SecondText(' ');

    Timestamps(ZoneId zone) {
        this.zone = zone.getRules();
    }

    /** ISO-8601 in UTC with microseconds: {@code 2026-11-22T11:30:00.123456Z}. */
    void appendIsoUtcMicros(StringBuilder out, long epochNanos) {
        byte[] text = new byte[MAX_LENGTH];
        out.append(new String(text, 0, isoUtcMicros(epochNanos, text, 0), StandardCharsets.US_ASCII));
    }

    /** Local to this formatter's zone, with milliseconds: {@code 2026-11-22 11:30:00.123}. */
    void appendLocalMillis(StringBuilder out, long epochNanos) {
        byte[] text = new byte[MAX_LENGTH];
        out.append(new String(text, 0, localMillis(epochNanos, text, 0), StandardCharsets.US_ASCII));
    }

    /** Writes the ISO form at {@code at} (up to {@link #MAX_LENGTH} ASCII bytes); returns the index after it. */
    int isoUtcMicros(long epochNanos, byte[] out, int at) {
        long second = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        int end = fraction(Math.floorMod(epochNanos, NANOS_PER_SECOND) / 1000, 6, out,
                isoSeconds.write(second, 0, out, at));
        out[end] = 'Z';
        return end + 1;
    }

    /** Writes the local form at {@code at} (up to {@link #MAX_LENGTH} ASCII bytes); returns the index after it. */
    int localMillis(long epochNanos, byte[] out, int at) {
        long second = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        // The zone's offset is looked up only when the second changes.
        int end = localSeconds.cachedFor(second) ? localSeconds.copy(out, at)
                : localSeconds.write(second, offsetSeconds(second), out, at);
        return fraction(Math.floorMod(epochNanos, NANOS_PER_SECOND) / 1_000_000, 3, out, end);
    }

    private int offsetSeconds(long epochSecond) {
        return zone.isFixedOffset() ? zone.getOffset(Instant.EPOCH).getTotalSeconds()
                : zone.getOffset(Instant.ofEpochSecond(epochSecond)).getTotalSeconds();
    }

    /** {@code .123}: a dot and {@code digits} digits of {@code value}, written at {@code at}. */
    private static int fraction(long value, int digits, byte[] out, int at) {
        out[at] = '.';
        for (int i = digits; i > 0; i--) {
            out[at + i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return at + 1 + digits;
    }

    /** {@code 2026-11-22T11:30:00} for the last epoch second asked for. */
    private static final class SecondText {
        private final byte separator;
        private final byte[] text = new byte[MAX_LENGTH];
        private int length;
        private long second = Long.MIN_VALUE;

        SecondText(char separator) {
            this.separator = (byte) separator;
        }

        boolean cachedFor(long epochSecond) {
            return epochSecond == second;
        }

        int copy(byte[] out, int at) {
            System.arraycopy(text, 0, out, at, length);
            return at + length;
        }

        /** The text for {@code epochSecond} shown at {@code offsetSeconds} from UTC (recomputed only on a change). */
        int write(long epochSecond, int offsetSeconds, byte[] out, int at) {
            if (epochSecond != second) {
                long local = epochSecond + offsetSeconds;
                int secondOfDay = Math.floorMod(local, SECONDS_PER_DAY);
                byte[] date = LocalDate.ofEpochDay(Math.floorDiv(local, SECONDS_PER_DAY)).toString()
                        .getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(date, 0, text, 0, date.length);
                int i = date.length;
                text[i++] = separator;
                i = twoDigits(text, i, secondOfDay / 3600);
                text[i++] = ':';
                i = twoDigits(text, i, secondOfDay / 60 % 60);
                text[i++] = ':';
                length = twoDigits(text, i, secondOfDay % 60);
                second = epochSecond;
            }
            return copy(out, at);
        }

        private static int twoDigits(byte[] out, int at, int value) {
            out[at] = (byte) ('0' + value / 10);
            out[at + 1] = (byte) ('0' + value % 10);
            return at + 2;
        }
    }
}
