package io.httpprofiler.bench;

import io.httpprofiler.bpf.CallbackRingBufferReader;
import io.httpprofiler.bpf.Mounts;
import io.httpprofiler.bpf.RecordHandler;
import io.httpprofiler.bpf.RingBufferReader;
import io.httpprofiler.capture.AttachMode;
import io.httpprofiler.capture.CaptureSettings;
import io.httpprofiler.capture.KernelCounters;
import io.httpprofiler.capture.KernelProbe;
import io.httpprofiler.capture.Tracefs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How fast user space takes records out of the kernel ring buffer: the mmap reader (production) against libbpf's
 * ring_buffer__poll with a JNA callback per record. Real kernel records: this JVM makes 16-byte socket writes while the
 * probe traces it. Two measurements per reader:
 * <ul>
 *   <li>drain: the ring is filled first (not read), then timed while emptied: the reader's own ceiling;</li>
 *   <li>live: a writer thread writes flat out for a few seconds while the reader keeps up (or not): records delivered,
 *       records the kernel dropped because the ring was full.</li>
 * </ul>
 * Run as root: {@code make bench-ring}.
 */
public final class RingReaderBenchmark {
    private static final int RING_BYTES = 256 * 1024 * 1024;
    private static final int FILL_WRITES = 1_000_000;
    private static final long LIVE_NANOS = 5_000_000_000L;

    public static void main(String[] args) throws Exception {
        Tracefs.ensureMounted(Mounts::mountTracefs);
        CaptureSettings settings = CaptureSettings.defaults()
                .withAttachMode(AttachMode.TRACEPOINT)
                .withPids(Set.of((int) ProcessHandle.current().pid()))
                .withRingBytes(RING_BYTES);
        try (KernelProbe probe = KernelProbe.start(settings, 0, System.err::println);
             Traffic traffic = new Traffic()) {
            AtomicLong bytes = new AtomicLong();
            RecordHandler count = record -> bytes.addAndGet(record.remaining());

            System.out.println("reader    | drain records/s | drain MB/s | live writes/s | live records/s | dropped");
            for (String reader : new String[]{"mmap", "callback", "mmap", "callback"}) {
                drainAll(probe, reader, count);
                traffic.write(FILL_WRITES);
                bytes.set(0);
                long start = System.nanoTime();
                long drained = drainAll(probe, reader, count);
                double seconds = (System.nanoTime() - start) / 1e9;
                double drainRate = drained / seconds;
                double drainMb = bytes.get() / seconds / 1e6;

                KernelCounters before = probe.counters();
                LiveResult live = live(probe, reader, count, traffic);
                long dropped = probe.counters().ringFullRecords() - before.ringFullRecords();
                System.out.printf("%-9s | %15.0f | %10.0f | %13.0f | %14.0f | %d%n", reader, drainRate, drainMb,
                        live.writes / live.seconds, live.records / live.seconds, dropped);
            }
        }
        compareWakeups(settings);
    }

    /**
     * The traced writer's speed and the reader's CPU with the kernel waking the reader for every record against only past
     * a fill threshold (the reader then also polls every 10 ms).
     */
    private static void compareWakeups(CaptureSettings settings) throws Exception {
        System.out.println();
        System.out.println("wakeup          | traced writes/s | reader CPU s per 1M records | dropped");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 2; round++) {
            for (int wakeupBytes : new int[]{0, CaptureSettings.DEFAULT_WAKEUP_BYTES}) {
                try (KernelProbe probe = KernelProbe.start(settings.withWakeupBytes(wakeupBytes), 0, System.err::println);
                     Traffic traffic = new Traffic()) {
                    long cpuBefore = threads.getCurrentThreadCpuTime();
                    LiveResult live = live(probe, "mmap", record -> { }, traffic);
                    double cpu = (threads.getCurrentThreadCpuTime() - cpuBefore) / 1e9;
                    System.out.printf("%-15s | %15.0f | %27.3f | %d%n",
                            wakeupBytes == 0 ? "every record" : wakeupBytes / 1024 + " KiB", live.writes / live.seconds,
                            cpu / (live.records / 1e6), probe.counters().ringFullRecords());
                }
            }
        }
    }

    private record LiveResult(long writes, long records, double seconds) {
    }

    private static LiveResult live(KernelProbe probe, String reader, RecordHandler count, Traffic traffic)
            throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                while (running.get()) {
                    traffic.write(1000);
                    writes.addAndGet(1000);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        long records = 0;
        long start = System.nanoTime();
        writer.start();
        if (reader.equals("mmap")) {
            RingBufferReader ring = probe.reader();
            while (System.nanoTime() - start < LIVE_NANOS) {
                records += ring.poll(10, count);
            }
        } else {
            AtomicLong delivered = new AtomicLong();
            try (CallbackRingBufferReader ring = new CallbackRingBufferReader(probe.ringMap(), r -> {
                delivered.incrementAndGet();
                count.onRecord(r);
            })) {
                while (System.nanoTime() - start < LIVE_NANOS) {
                    ring.poll(10);
                }
                records = delivered.get();
            }
        }
        running.set(false);
        writer.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        drainAll(probe, reader, count);
        return new LiveResult(writes.get(), records, seconds);
    }

    private static long drainAll(KernelProbe probe, String reader, RecordHandler count) {
        if (reader.equals("mmap")) {
            long total = 0;
            int n;
            while ((n = probe.reader().drain(count)) > 0) {
                total += n;
            }
            return total;
        }
        AtomicLong delivered = new AtomicLong();
        try (CallbackRingBufferReader ring = new CallbackRingBufferReader(probe.ringMap(), r -> {
            delivered.incrementAndGet();
            count.onRecord(r);
        })) {
            while (ring.consume() > 0) {
                // keep consuming until empty
            }
        }
        return delivered.get();
    }

    /** A loopback connection whose client makes 16-byte writes; the server side swallows them in big reads. */
    private static final class Traffic implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        private final Socket accepted = server.accept();
        private final OutputStream out = client.getOutputStream();
        private final byte[] message = "0123456789abcdef".getBytes();
        private final Thread sink;

        Traffic() throws IOException {
            client.setTcpNoDelay(true);
            sink = new Thread(() -> {
                byte[] buffer = new byte[4 << 20];
                try (InputStream in = accepted.getInputStream()) {
                    while (in.read(buffer) >= 0) {
                        Thread.sleep(5); // few, large reads: the records measured are the writes
                    }
                } catch (IOException | InterruptedException ignored) {
                    // closed at the end
                }
            });
            sink.setDaemon(true);
            sink.start();
        }

        void write(int count) throws IOException {
            for (int i = 0; i < count; i++) {
                out.write(message);
            }
        }

        @Override
        public void close() throws IOException {
            client.close();
            accepted.close();
            server.close();
        }
    }
}
