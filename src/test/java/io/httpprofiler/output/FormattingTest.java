package io.httpprofiler.output;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class FormattingTest {

    @Test
    void ipv6IsWrittenInItsShortestForm() {
        assertEquals("[::1]:80", Addresses.format(new InetSocketAddress(Samples.ip("::1"), 80)));
        assertEquals("[::]:80", Addresses.format(new InetSocketAddress(Samples.ip("::"), 80)));
        assertEquals("[2001:db8::1]:443", Addresses.format(new InetSocketAddress(Samples.ip("2001:db8:0:0:0:0:0:1"), 443)));
        assertEquals("[2001:db8:0:1:1:1:1:1]:1",
                Addresses.format(new InetSocketAddress(Samples.ip("2001:db8:0:1:1:1:1:1"), 1)), "one zero group stays");
        assertEquals("[2001:0:0:1::1]:1", Addresses.format(new InetSocketAddress(Samples.ip("2001:0:0:1:0:0:0:1"), 1)),
                "the longest run is compressed");
        assertEquals("[fe80::1:2]:1", Addresses.format(new InetSocketAddress(Samples.ip("fe80::1:2"), 1)));
        assertEquals("[1::]:1", Addresses.format(new InetSocketAddress(Samples.ip("1::"), 1)));
        assertEquals("10.0.0.1:8080", Addresses.format(new InetSocketAddress(Samples.ip("::ffff:10.0.0.1"), 8080)),
                "IPv4-mapped addresses are IPv4");
        assertNull(Addresses.format(null));
    }

    @Test
    void timestampsMatchTheStandardFormatter() {
        Timestamps timestamps = new Timestamps(ZoneOffset.UTC);
        DateTimeFormatter iso = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
        DateTimeFormatter text = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
        Random random = new Random(8);
        for (int i = 0; i < 10_000; i++) {
            long nanos = i == 0 ? 0 : random.nextLong() >>> 2; // up to year 2116
            Instant instant = Instant.ofEpochSecond(0, nanos);
            StringBuilder a = new StringBuilder();
            timestamps.appendIsoUtcMicros(a, nanos);
            assertEquals(iso.format(instant), a.toString());
            StringBuilder b = new StringBuilder();
            timestamps.appendLocalMillis(b, nanos);
            assertEquals(text.format(instant), b.toString());
        }
    }

    @Test
    void cachedSecondsFollowTheZoneAcrossOffsetChanges() {
        // Many exchanges per second, seconds going back and forth, around a daylight saving change.
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        Timestamps timestamps = new Timestamps(berlin);
        DateTimeFormatter text = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(berlin);
        long change = Instant.parse("2026-03-29T01:00:00Z").getEpochSecond() * 1_000_000_000L;
        Random random = new Random(9);
        for (int i = 0; i < 20_000; i++) {
            long nanos = change + (random.nextInt(7) - 3) * 1_000_000_000L + random.nextInt(1_000_000_000);
            StringBuilder local = new StringBuilder();
            timestamps.appendLocalMillis(local, nanos);
            assertEquals(text.format(Instant.ofEpochSecond(0, nanos)), local.toString());
        }
    }
}
