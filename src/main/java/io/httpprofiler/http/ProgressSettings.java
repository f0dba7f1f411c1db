package io.httpprofiler.http;

import java.time.Duration;

/**
 * When exchanges still open are reported in progress ({@link ExchangeProgress}): first once an exchange has been open
 * for {@code after}, then each time its age has doubled, at most {@link #MAX_INTERVAL} apart, until it ends.
 *
 * @param after         how long an exchange is open before its first report; zero turns reporting off
 * @param maxInProgress exchanges reported in progress at once; one that comes due beyond it is counted and only
 *                      written when it ends
 */
public record ProgressSettings(Duration after, int maxInProgress) {
    /** {@code --progress-after}: long enough that ordinary exchanges never show up twice. */
    public static final Duration DEFAULT_AFTER = Duration.ofSeconds(2);
    /** The largest {@code --progress-after} (a bound that keeps every due time far from overflowing). */
    public static final Duration MAX_AFTER = Duration.ofMinutes(60);
    /** The longest wait between two reports of one exchange, however old it is. */
    public static final Duration MAX_INTERVAL = Duration.ofSeconds(60);
    /** Exchanges reported in progress at once (thousands of hanging requests must not flood the transcript). */
    public static final int MAX_IN_PROGRESS = 256;

    public ProgressSettings {
        if (after.isNegative() || after.compareTo(MAX_AFTER) > 0) {
            throw new IllegalArgumentException("progress-after must be between 0 and " + MAX_AFTER.toSeconds()
                    + " seconds: " + after);
        }
        if (maxInProgress < 1) {
            throw new IllegalArgumentException("max in progress must be at least 1: " + maxInProgress);
        }
    }

    public static ProgressSettings defaults() {
        return new ProgressSettings(DEFAULT_AFTER, MAX_IN_PROGRESS);
    }

    /** No progress reports: every exchange is written once, when it ends. */
    public static ProgressSettings off() {
        return new ProgressSettings(Duration.ZERO, MAX_IN_PROGRESS);
    }

    public boolean enabled() {
        return !after.isZero();
    }
}
