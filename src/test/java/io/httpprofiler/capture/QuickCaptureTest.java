package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

class QuickCaptureTest {
    @Test
    void smallWrite() throws Exception {
        try (LiveCapture capture = LiveCapture.forThisProcess();
             ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            OutputStream out = client.getOutputStream();
            out.write("hello kernel".getBytes(StandardCharsets.UTF_8));
            InputStream in = accepted.getInputStream();
            byte[] buf = new byte[64];
            int n = in.read(buf);
            System.out.println("read " + n);
            capture.awaitEvents(ev -> ev.stream().filter(e -> e instanceof DataEvent).count() >= 2, Duration.ofSeconds(5));
            capture.events().forEach(System.out::println);
        }
    }
}
