package io.httpprofiler.e2e;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.util.AsciiString;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2 server that is reached by upgrading HTTP/1.1 ({@code Upgrade: h2c}, RFC 7540 section 3.2), which nghttpd,
 * nginx and node do not offer: Netty's codec, in the test's JVM. Answers every request with {@code h2c <path>}.
 */
final class H2cUpgradeServer implements AutoCloseable {
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel channel;

    H2cUpgradeServer(int port) throws InterruptedException {
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        HttpServerCodec http1 = new HttpServerCodec();
                        HttpServerUpgradeHandler.UpgradeCodecFactory upgrades = protocol ->
                                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                                        ? new Http2ServerUpgradeCodec(Http2FrameCodecBuilder.forServer().build(),
                                        new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                                            @Override
                                            protected void initChannel(Channel stream) {
                                                stream.pipeline().addLast(new Answer());
                                            }
                                        }))
                                        : null;
                        ch.pipeline().addLast(http1, new HttpServerUpgradeHandler(http1, upgrades));
                    }
                }).bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /** Each stream: headers in, one response out (a request body, if any, is ignored). */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame headers && headers.isEndStream()) {
                String path = String.valueOf(headers.headers().path());
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .set("content-type", "text/plain")));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(
                        Unpooled.copiedBuffer("h2c " + path, StandardCharsets.UTF_8), true));
            }
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }

    /** Runs one until killed (used to record a fixture): {@code H2cUpgradeServer PORT}. */
    public static void main(String[] args) throws Exception {
        new H2cUpgradeServer(Integer.parseInt(args[0]));
        System.out.println("ready");
        Thread.currentThread().join();
    }
}
