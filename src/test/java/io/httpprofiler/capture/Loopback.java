package io.httpprofiler.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** A connected pair over a loopback address, both ends in this JVM and set up by the calling thread. */
record Loopback(AutoCloseable listener, int port, Endpoint client, Endpoint server) implements AutoCloseable {

    /** java.net.Socket ends: connect() gives the client (role CLIENT), accept() the server end (role SERVER). */
    static Loopback sockets(InetAddress address) {
        try {
            return sockets(new ServerSocket(0, 50, address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Loopback sockets(ServerSocket listener) {
        int tid = ProcFs.currentTid();
        try {
            Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
            Socket accepted = listener.accept();
            return new Loopback(listener, listener.getLocalPort(), Endpoint.of(client, Role.CLIENT, tid),
                    Endpoint.of(accepted, Role.SERVER, tid));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Blocking java.nio SocketChannel ends, for writev/readv and writes straight from direct buffers. */
    static Loopback channels(InetAddress address) {
        int tid = ProcFs.currentTid();
        try {
            ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress(address, 0));
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            SocketChannel client = SocketChannel.open(new InetSocketAddress(address, port));
            SocketChannel accepted = listener.accept();
            return new Loopback(listener, port, Endpoint.of(client, Role.CLIENT, tid),
                    Endpoint.of(accepted, Role.SERVER, tid));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes both ends (client first), then the listener. */
    @Override
    public void close() throws Exception {
        client.close();
        server.close();
        listener.close();
    }
}
