#!/usr/bin/python3
"""A grpcio server for the interop tests: grpc.health.v1.Health and chronoq.interop.v1.InteropTest.

Listens on 127.0.0.1 (port 0 unless --port), prints "LISTENING <port>" on stdout once it serves, and
stops when its standard input closes or it gets SIGTERM/SIGINT.

Usage: /usr/bin/python3 interop_server.py [--port N] [--max-concurrent-streams N]
"""

import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

from protoset import Protos

# The tests hold at most ~150 calls open at once; each open grpcio call holds a worker thread.
MAX_WORKERS = 200
# Large-message tests send up to 8 MiB; the oversize checks are on the client's side.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# Anything further away than a year is grpcio's stand-in for "no deadline".
NO_DEADLINE_SECONDS = 365 * 24 * 3600
STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}

protos = Protos()
HealthCheckRequest = protos.message("grpc.health.v1.HealthCheckRequest")
HealthCheckResponse = protos.message("grpc.health.v1.HealthCheckResponse")
InteropRequest = protos.message("chronoq.interop.v1.InteropRequest")
InteropResponse = protos.message("chronoq.interop.v1.InteropResponse")
StatsRequest = protos.message("chronoq.interop.v1.StatsRequest")
StatsResponse = protos.message("chronoq.interop.v1.StatsResponse")

KNOWN_SERVICES = {"", "grpc.health.v1.Health", "chronoq.interop.v1.InteropTest"}

stats_lock = threading.Lock()
stats = {"cancelled_calls": 0}


def count_cancelled():
    with stats_lock:
        stats["cancelled_calls"] += 1


class CallEnd:
    """Tracks the end of an RPC. grpcio runs the callback when the RPC terminates; if the handler
    had not finished by then, the client cancelled it (or its deadline passed). Counting there, not
    in the handler, also catches a handler suspended at a `yield` that grpcio never resumes."""

    def __init__(self, context):
        self.event = threading.Event()
        self.handler_done = False
        context.add_callback(self._on_end)

    def _on_end(self):
        if not self.handler_done:
            count_cancelled()
        self.event.set()

    def wait(self, seconds):
        """Sleeps up to `seconds`; True if the RPC ended meanwhile."""
        return self.event.wait(seconds)

    def done(self):
        self.handler_done = True


def response_for(request, context, index):
    response = InteropResponse(index=index, peer=context.peer())
    response.payload = bytes(request.response_size) if request.response_size else request.payload
    for key, value in context.invocation_metadata():
        if not key.startswith("grpc-") and not key.endswith("-bin") and isinstance(value, str):
            response.metadata[key] = value
    # grpcio reports "no deadline" as None or as an absurdly distant one, depending on version.
    remaining = context.time_remaining()
    response.deadline_remaining_ms = -1 if remaining is None or remaining > NO_DEADLINE_SECONDS else int(remaining * 1000)
    return response


def echo_metadata(context):
    pairs = [(k, v) for k, v in context.invocation_metadata() if k.startswith("echo-")]
    return pairs, [("echo-trailer-" + k[len("echo-"):], v) for k, v in pairs]


def end_with_status(request, context, end):
    end.done()
    if request.status_code:
        context.abort(STATUS_BY_NUMBER[request.status_code], request.status_message)


def unary(request, context):
    end = CallEnd(context)
    if request.interval_ms and end.wait(request.interval_ms / 1000):
        return InteropResponse()
    end_with_status(request, context, end)
    return response_for(request, context, 0)


def server_stream(request, context):
    end = CallEnd(context)
    headers, trailers = echo_metadata(context)
    context.send_initial_metadata(headers)
    context.set_trailing_metadata(trailers)
    for index in range(request.count):
        if request.interval_ms and end.wait(request.interval_ms / 1000):
            return
        yield response_for(request, context, index)
    end_with_status(request, context, end)


def get_stats(request, context):
    with stats_lock:
        return StatsResponse(cancelled_calls=stats["cancelled_calls"])


def health_status(service):
    return HealthCheckResponse.SERVING if service in KNOWN_SERVICES else None


def health_check(request, context):
    status = health_status(request.service)
    if status is None:
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service " + request.service[:100])
    return HealthCheckResponse(status=status)


def health_watch(request, context):
    end = CallEnd(context)
    status = health_status(request.service)
    yield HealthCheckResponse(status=HealthCheckResponse.SERVICE_UNKNOWN if status is None else status)
    end.wait(None)


def unary_handler(fn, request_type, response_type):
    return grpc.unary_unary_rpc_method_handler(
        fn, request_deserializer=request_type.FromString, response_serializer=response_type.SerializeToString)


def stream_handler(fn, request_type, response_type):
    return grpc.unary_stream_rpc_method_handler(
        fn, request_deserializer=request_type.FromString, response_serializer=response_type.SerializeToString)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-concurrent-streams", type=int, default=0)
    args = parser.parse_args()

    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.so_reuseport", 0),
    ]
    if args.max_concurrent_streams:
        options.append(("grpc.max_concurrent_streams", args.max_concurrent_streams))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=MAX_WORKERS), options=options)
    server.add_generic_rpc_handlers([
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
            "Check": unary_handler(health_check, HealthCheckRequest, HealthCheckResponse),
            "Watch": stream_handler(health_watch, HealthCheckRequest, HealthCheckResponse),
        }),
        grpc.method_handlers_generic_handler("chronoq.interop.v1.InteropTest", {
            "Unary": unary_handler(unary, InteropRequest, InteropResponse),
            "ServerStream": stream_handler(server_stream, InteropRequest, InteropResponse),
            "GetStats": unary_handler(get_stats, StatsRequest, StatsResponse),
        }),
    ])
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    server.start()
    print("LISTENING %d" % port, flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    server.stop(grace=0).wait(5)


if __name__ == "__main__":
    main()
