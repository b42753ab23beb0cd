#!/usr/bin/python3
"""grpcio client checks against a Chronoq server: prints one JSON line per check,
{"check": name, "ok": true|false, "detail": "..."}, and exits 1 if any check failed.

Usage: /usr/bin/python3 chronoq_client_checks.py HOST:PORT [--max-message-bytes N] [--only a,b]

--max-message-bytes is the server's receive limit: the oversize check sends a message past it.
A new check is a function decorated with @check; it raises AssertionError (via expect) to fail.
"""

import argparse
import json
import os
import sys
import time
import traceback

import grpc

from protoset import Protos

protos = Protos()
HealthCheckRequest = protos.message("grpc.health.v1.HealthCheckRequest")
HealthCheckResponse = protos.message("grpc.health.v1.HealthCheckResponse")

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_status(error, code):
    expect(isinstance(error, grpc.RpcError), "expected an RpcError, got %r" % (error,))
    expect(error.code() == code, "expected %s, got %s: %s" % (code, error.code(), error.details()))


def unary(channel, path, request_type, response_type):
    return channel.unary_unary(path, request_serializer=request_type.SerializeToString,
                               response_deserializer=response_type.FromString)


def server_stream(channel, path, request_type, response_type):
    return channel.unary_stream(path, request_serializer=request_type.SerializeToString,
                                response_deserializer=response_type.FromString)


def health_check(channel):
    return unary(channel, "/grpc.health.v1.Health/Check", HealthCheckRequest, HealthCheckResponse)


def health_watch(channel):
    return server_stream(channel, "/grpc.health.v1.Health/Watch", HealthCheckRequest, HealthCheckResponse)


def call_error(fn):
    try:
        fn()
    except grpc.RpcError as error:
        return error
    raise AssertionError("the call succeeded; an error status was expected")


@check
def health_check_serving(ctx):
    response = health_check(ctx.channel)(HealthCheckRequest(service=""), timeout=10)
    expect(response.status == HealthCheckResponse.SERVING, "status %s" % response.status)
    return "SERVING"


@check
def health_check_unknown_service_not_found(ctx):
    error = call_error(lambda: health_check(ctx.channel)(HealthCheckRequest(service="no.such.Service"), timeout=10))
    expect_status(error, grpc.StatusCode.NOT_FOUND)
    return error.details()


@check
def health_watch_first_status_then_cancel(ctx):
    call = health_watch(ctx.channel)(HealthCheckRequest(service=""), timeout=10)
    first = next(call)
    expect(first.status == HealthCheckResponse.SERVING, "first status %s" % first.status)
    call.cancel()
    error = call_error(lambda: next(call))
    expect_status(error, grpc.StatusCode.CANCELLED)
    return "SERVING, then CANCELLED"


@check
def health_watch_deadline_exceeded(ctx):
    started = time.monotonic()
    # Long enough for the first status to arrive on a loaded machine: the check is that a live
    # stream is ended by its deadline.
    call = health_watch(ctx.channel)(HealthCheckRequest(service=""), timeout=3)
    first = next(call)
    expect(first.status == HealthCheckResponse.SERVING, "first status %s" % first.status)
    error = call_error(lambda: next(call))
    elapsed = time.monotonic() - started
    expect_status(error, grpc.StatusCode.DEADLINE_EXCEEDED)
    expect(2.9 <= elapsed < 10, "ended after %.3f s for a 3 s deadline" % elapsed)
    return "after %.3f s" % elapsed


@check
def unknown_method_unimplemented(ctx):
    error = call_error(lambda: unary(ctx.channel, "/grpc.health.v1.Health/NoSuchMethod",
                                     HealthCheckRequest, HealthCheckResponse)(HealthCheckRequest(), timeout=10))
    expect_status(error, grpc.StatusCode.UNIMPLEMENTED)
    return error.details()


@check
def unknown_service_unimplemented(ctx):
    error = call_error(lambda: unary(ctx.channel, "/no.such.v1.Service/Method",
                                     HealthCheckRequest, HealthCheckResponse)(HealthCheckRequest(), timeout=10))
    expect_status(error, grpc.StatusCode.UNIMPLEMENTED)
    return error.details()


def padded_health_request(size):
    """A HealthCheckRequest for the whole server ("") carrying `size` bytes in an unknown field
    (number 1000): the server must receive and parse all of it, yet its answer does not echo it."""
    def varint(value):
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)
    return varint((1000 << 3) | 2) + varint(size) + bytes(size)


def raw_health_check(channel):
    return channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda raw: raw,
                               response_deserializer=HealthCheckResponse.FromString)


@check
def large_request_1mib_accepted(ctx):
    request = padded_health_request(1024 * 1024)
    response = raw_health_check(ctx.channel)(request, timeout=20)
    expect(response.status == HealthCheckResponse.SERVING, "status %s" % response.status)
    return "SERVING for a %d-byte request" % len(request)


@check
def oversize_request_resource_exhausted(ctx):
    request = padded_health_request(ctx.max_message_bytes + 1024)
    error = call_error(lambda: raw_health_check(ctx.channel)(request, timeout=20))
    expect_status(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    # The connection must survive a refused message.
    response = health_check(ctx.channel)(HealthCheckRequest(service=""), timeout=10)
    expect(response.status == HealthCheckResponse.SERVING, "after it: status %s" % response.status)
    return error.details()


@check
def concurrent_500_unary_calls(ctx):
    stub = health_check(ctx.channel)
    futures = [stub.future(HealthCheckRequest(service=""), timeout=60) for _ in range(500)]
    statuses = [f.result().status for f in futures]
    expect(all(s == HealthCheckResponse.SERVING for s in statuses), "not all SERVING")
    return "500 SERVING"


@check
def concurrent_200_watch_streams(ctx):
    calls = [health_watch(ctx.channel)(HealthCheckRequest(service=""), timeout=60) for _ in range(200)]
    try:
        firsts = [next(call).status for call in calls]
        expect(all(s == HealthCheckResponse.SERVING for s in firsts), "not all SERVING")
    finally:
        for call in calls:
            call.cancel()
    return "200 streams open at once"


# --- The Chronoq API itself, through grpcio with messages built from protos/chronoq/v1/chronoq.proto.

Chronoq = {name: protos.message("chronoq.v1." + name) for name in (
    "PutRequest", "PutResponse", "PeekRequest", "PeekResponse", "ReserveOneRequest", "ReserveOneResponse",
    "ReserveRequest", "ReserveResponse", "DeleteRequest", "DeleteResponse", "KickJobRequest", "KickJobResponse",
    "GetTopicStatsRequest", "TopicStats")}
JOB_STATE_READY = 1
JOB_STATE_DELAYED = 2


def chronoq(channel, method, request_name, response_name):
    return unary(channel, "/chronoq.v1.Chronoq/" + method, Chronoq[request_name], Chronoq[response_name])


def topic_for(check_name):
    # One topic per check and process, so checks never see each other's jobs.
    return "interop.py.%s.%d" % (check_name, os.getpid())


@check
def chronoq_put_peek_reserve_delete(ctx):
    topic = topic_for("cycle")
    put = chronoq(ctx.channel, "Put", "PutRequest", "PutResponse")(
        Chronoq["PutRequest"](topic=topic, body=b"hello", priority=7, key="k1", headers={"a": "b"}), timeout=10)
    expect(put.id > 0 and put.created, "put answered %s" % put)
    again = chronoq(ctx.channel, "Put", "PutRequest", "PutResponse")(
        Chronoq["PutRequest"](topic=topic, body=b"other", key="k1"), timeout=10)
    expect(again.id == put.id and not again.created, "a live key must dedupe: %s" % again)
    peek = chronoq(ctx.channel, "Peek", "PeekRequest", "PeekResponse")(Chronoq["PeekRequest"](id=put.id), timeout=10)
    expect(peek.job.body == b"hello" and peek.job.priority == 7 and peek.job.state == JOB_STATE_READY
           and dict(peek.job.headers) == {"a": "b"}, "peek answered %s" % peek)
    request = Chronoq["ReserveOneRequest"](topics=[topic])
    request.timeout.seconds = 5
    reserved = chronoq(ctx.channel, "ReserveOne", "ReserveOneRequest", "ReserveOneResponse")(request, timeout=10)
    expect(reserved.job.job.id == put.id and reserved.job.reservation != 0, "reserve answered %s" % reserved)
    error = call_error(lambda: chronoq(ctx.channel, "Delete", "DeleteRequest", "DeleteResponse")(
        Chronoq["DeleteRequest"](id=put.id), timeout=10))
    expect_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    chronoq(ctx.channel, "Delete", "DeleteRequest", "DeleteResponse")(
        Chronoq["DeleteRequest"](id=put.id, reservation=reserved.job.reservation), timeout=10)
    error = call_error(lambda: chronoq(ctx.channel, "Peek", "PeekRequest", "PeekResponse")(
        Chronoq["PeekRequest"](id=put.id), timeout=10))
    expect_status(error, grpc.StatusCode.NOT_FOUND)
    return "job %d put, deduped, peeked, reserved, deleted" % put.id


@check
def chronoq_put_invalid_topic_invalid_argument(ctx):
    error = call_error(lambda: chronoq(ctx.channel, "Put", "PutRequest", "PutResponse")(
        Chronoq["PutRequest"](topic="no spaces allowed"), timeout=10))
    expect_status(error, grpc.StatusCode.INVALID_ARGUMENT)
    expect("topic" in error.details(), "the message must name the field: %r" % error.details())
    return error.details()


@check
def chronoq_delayed_put_then_kick_job(ctx):
    topic = topic_for("delayed")
    request = Chronoq["PutRequest"](topic=topic, body=b"later")
    request.delay.seconds = 3600
    put = chronoq(ctx.channel, "Put", "PutRequest", "PutResponse")(request, timeout=10)
    stats = chronoq(ctx.channel, "GetTopicStats", "GetTopicStatsRequest", "TopicStats")(
        Chronoq["GetTopicStatsRequest"](topic=topic), timeout=10)
    expect(stats.delayed == 1 and stats.ready == 0, "stats before kick: %s" % stats)
    chronoq(ctx.channel, "KickJob", "KickJobRequest", "KickJobResponse")(Chronoq["KickJobRequest"](id=put.id), timeout=10)
    peek = chronoq(ctx.channel, "Peek", "PeekRequest", "PeekResponse")(Chronoq["PeekRequest"](id=put.id), timeout=10)
    expect(peek.job.state == JOB_STATE_READY, "state after kick: %s" % peek.job.state)
    chronoq(ctx.channel, "Delete", "DeleteRequest", "DeleteResponse")(Chronoq["DeleteRequest"](id=put.id), timeout=10)
    return "delayed, kicked to READY"


@check
def chronoq_reserve_stream_cancel_returns_job(ctx):
    topic = topic_for("stream")
    put = chronoq(ctx.channel, "Put", "PutRequest", "PutResponse")(Chronoq["PutRequest"](topic=topic, body=b"x"), timeout=10)
    stream = server_stream(ctx.channel, "/chronoq.v1.Chronoq/Reserve", Chronoq["ReserveRequest"], Chronoq["ReserveResponse"])(
        Chronoq["ReserveRequest"](topics=[topic], prefetch=1), timeout=20)
    first = next(stream)
    expect(first.job.job.id == put.id, "stream delivered %s" % first)
    stream.cancel()
    # Cancelling the stream hands its job back at once: a poll finds it READY again.
    deadline = time.monotonic() + 5
    while True:
        peek = chronoq(ctx.channel, "Peek", "PeekRequest", "PeekResponse")(Chronoq["PeekRequest"](id=put.id), timeout=10)
        if peek.job.state == JOB_STATE_READY:
            break
        expect(time.monotonic() < deadline, "job still in state %s after the stream ended" % peek.job.state)
        time.sleep(0.02)
    chronoq(ctx.channel, "Delete", "DeleteRequest", "DeleteResponse")(Chronoq["DeleteRequest"](id=put.id), timeout=10)
    return "reserved through the stream, READY again after cancel"


class Context:
    def __init__(self, address, max_message_bytes):
        self.max_message_bytes = max_message_bytes
        limit = max_message_bytes * 2 + 1024 * 1024
        self.channel = grpc.insecure_channel(address, options=[
            ("grpc.max_send_message_length", limit),
            ("grpc.max_receive_message_length", limit),
        ])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--max-message-bytes", type=int, default=4 * 1024 * 1024)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    ctx = Context(args.address, args.max_message_bytes)
    grpc.channel_ready_future(ctx.channel).result(timeout=20)
    failed = 0
    for fn in CHECKS:
        if only and fn.__name__ not in only:
            continue
        started = time.monotonic()
        try:
            detail, ok = fn(ctx) or "", True
        except Exception as error:  # every failure is reported as this check's outcome
            detail, ok = "%s: %s" % (type(error).__name__, error), False
            traceback.print_exc(file=sys.stderr)
        failed += 0 if ok else 1
        print(json.dumps({"check": fn.__name__, "ok": ok, "detail": detail,
                          "seconds": round(time.monotonic() - started, 3)}), flush=True)
    ctx.channel.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
