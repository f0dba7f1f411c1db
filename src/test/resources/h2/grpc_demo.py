#!/usr/bin/python3
"""A gRPC server and client without generated code, for the HTTP/2 tests (python3-grpcio).

  grpc_demo.py server PORT          serves demo.Greeter until killed; prints "ready" once listening
  grpc_demo.py client PORT [ROUNDS] [PAUSE]  makes ROUNDS rounds of calls on one channel, PAUSE seconds apart
  grpc_demo.py ticks PORT COUNT     one slow server-streaming call: COUNT replies, 100 ms apart

Messages are protobuf encoded by hand: HelloRequest {1: name (string), 2: count (varint)}, HelloReply {1: message
(string), 2: n (varint)}. Calls: SayHello (unary), Countdown (server streaming, `count` replies), Chat (bidirectional,
one reply per request), Fail (unary, always NOT_FOUND "no such user: <name>"), Ticks (server streaming, `count` replies
100 ms apart: a call that lasts).
"""
import sys
import time
from concurrent import futures

import grpc


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def message(text, number):
    data = text.encode()
    return b"\x0a" + varint(len(data)) + data + b"\x10" + varint(number)


def parse(data):
    fields, i = {}, 0
    while i < len(data):
        key = data[i]
        i += 1
        if key & 7 == 2:
            n, shift = 0, 0
            while True:
                b = data[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            fields[key >> 3] = data[i:i + n].decode()
            i += n
        else:
            n, shift = 0, 0
            while True:
                b = data[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            fields[key >> 3] = n
    return fields


def identity(x):
    return x


def say_hello(request, context):
    f = parse(request)
    return message("hello " + f.get(1, "?"), f.get(2, 0))


def countdown(request, context):
    f = parse(request)
    for n in range(f.get(2, 3), 0, -1):
        yield message("countdown " + f.get(1, "?"), n)


def chat(requests, context):
    for request in requests:
        f = parse(request)
        yield message("echo " + f.get(1, "?"), f.get(2, 0))


def ticks(request, context):
    f = parse(request)
    for n in range(1, f.get(2, 10) + 1):
        time.sleep(0.1)
        yield message("tick " + f.get(1, "?"), n)


def fail(request, context):
    f = parse(request)
    context.abort(grpc.StatusCode.NOT_FOUND, "no such user: " + f.get(1, "?"))


def serve(port):
    handlers = {
        "SayHello": grpc.unary_unary_rpc_method_handler(say_hello, identity, identity),
        "Countdown": grpc.unary_stream_rpc_method_handler(countdown, identity, identity),
        "Chat": grpc.stream_stream_rpc_method_handler(chat, identity, identity),
        "Fail": grpc.unary_unary_rpc_method_handler(fail, identity, identity),
        "Ticks": grpc.unary_stream_rpc_method_handler(ticks, identity, identity),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("demo.Greeter", handlers),))
    server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


def client(port, rounds, pause):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
        say = channel.unary_unary("/demo.Greeter/SayHello", identity, identity)
        count = channel.unary_stream("/demo.Greeter/Countdown", identity, identity)
        chat_call = channel.stream_stream("/demo.Greeter/Chat", identity, identity)
        fail_call = channel.unary_unary("/demo.Greeter/Fail", identity, identity)
        for r in range(rounds):
            print(parse(say(message("alice", 42), timeout=10)))
            print([parse(m) for m in count(message("bob", 3), timeout=10)])
            print([parse(m) for m in chat_call(iter([message("carol", 1), message("dave", 2)]), timeout=10)])
            try:
                fail_call(message("bob", 7), timeout=10)
            except grpc.RpcError as e:
                print("failed", e.code(), e.details())
            sys.stdout.flush()
            if r + 1 < rounds:
                time.sleep(pause)


def slow_stream(port, count):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
        call = channel.unary_stream("/demo.Greeter/Ticks", identity, identity)
        for reply in call(message("erin", count), timeout=60):
            print(parse(reply), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "ticks":
        slow_stream(int(sys.argv[2]), int(sys.argv[3]))
    else:
        client(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1,
               float(sys.argv[4]) if len(sys.argv) > 4 else 0.5)
