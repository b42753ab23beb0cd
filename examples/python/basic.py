#!/usr/bin/python3
"""A Chronoq client in Python (grpcio), built from protos/ at run time: put a job, reserve it,
delete it, read the topic's counters.

    apt-get install python3-grpcio python3-protobuf protobuf-compiler libprotobuf-dev
    /usr/bin/python3 examples/python/basic.py --address 127.0.0.1:50051

Debian ships no python gRPC code generator matching its grpcio, so protoc compiles the .proto
files into a descriptor set and the message classes are made from it (the helper is borrowed
from tests/interop/python). With pip's grpcio-tools you would run
`python -m grpc_tools.protoc -Iprotos --python_out=. --grpc_python_out=. chronoq/v1/chronoq.proto`
and use the generated ChronoqStub instead.
"""

import argparse
import os
import sys

import grpc

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "interop", "python"))
from protoset import Protos  # noqa: E402

SERVICE = "/chronoq.v1.Chronoq/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", default="127.0.0.1:50051")
    address = parser.parse_args().address.removeprefix("http://").rstrip("/")

    protos = Protos()

    def message(name, **fields):
        return protos.message("chronoq.v1." + name)(**fields)

    with grpc.insecure_channel(address) as channel:

        def call(method, request, response_type):
            stub = channel.unary_unary(
                SERVICE + method,
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=protos.message("chronoq.v1." + response_type).FromString,
            )
            return stub(request, timeout=10)

        topic = "examples.python"
        put = call("Put", message("PutRequest", topic=topic, body=b"hello from python", priority=5), "PutResponse")
        print(f"put job {put.id} (created: {put.created})")

        timeout = protos.message("google.protobuf.Duration")(seconds=5)
        reserved = call("ReserveOne", message("ReserveOneRequest", topics=[topic], timeout=timeout), "ReserveOneResponse")
        if not reserved.HasField("job"):
            print("no job became ready within 5 s", file=sys.stderr)
            return 1
        job, reservation = reserved.job.job, reserved.job.reservation
        print(f'reserved job {job.id}: "{job.body.decode()}" (reservation {reservation})')

        call("Delete", message("DeleteRequest", id=job.id, reservation=reservation), "DeleteResponse")
        print(f"deleted job {job.id}")

        stats = call("GetTopicStats", message("GetTopicStatsRequest", topic=topic), "TopicStats")
        print(f"topic {stats.name}: {stats.total_puts} put, {stats.total_deletes} deleted, {stats.ready} ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
