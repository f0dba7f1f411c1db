package io.httpprofiler.capture;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Run as a separate process by the capture tests: connects to host:port, sends the message, reads the reply until the
 * server closes, and prints "LOCAL_PORT REPLY" so the test knows the child's end of the tuple.
 */
public final class ChildTcpClient {
    private ChildTcpClient() {
    }

    public static void main(String[] args) throws IOException {
        try (Socket socket = new Socket(InetAddress.getByName(args[0]), Integer.parseInt(args[1]))) {
            socket.getOutputStream().write(args[2].getBytes(StandardCharsets.US_ASCII));
            byte[] reply = socket.getInputStream().readAllBytes();
            System.out.println(socket.getLocalPort() + " " + new String(reply, StandardCharsets.US_ASCII));
        }
    }
}
