"""Message classes for the interop fixtures, built at run time from the repository's .proto files.

Debian has no python code generator that matches its grpcio, so protoc (protobuf-compiler) compiles
the .proto files into a FileDescriptorSet and python's protobuf runtime builds the classes from it.
Any service added to the contract later needs no generation step: name its file in PROTO_FILES.
"""

import os
import subprocess
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
INCLUDE_DIRS = [
    os.path.join(REPO_ROOT, "protos"),
    os.path.join(REPO_ROOT, "tests", "interop", "protos"),
    "/usr/include",  # google/protobuf/*.proto from libprotobuf-dev
]
PROTO_FILES = [
    "grpc/health/v1/health.proto",
    "chronoq/v1/chronoq.proto",
    "chronoq/interop/v1/interop.proto",
]


def _compile_descriptor_set():
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "set.pb")
        args = ["protoc", "--include_imports", "--descriptor_set_out=" + out]
        args += ["-I" + d for d in INCLUDE_DIRS]
        args += PROTO_FILES
        subprocess.run(args, check=True)
        with open(out, "rb") as f:
            return descriptor_pb2.FileDescriptorSet.FromString(f.read())


class Protos:
    """Looks message classes up by their full protobuf name, e.g. 'grpc.health.v1.HealthCheckRequest'."""

    def __init__(self):
        self._pool = descriptor_pool.DescriptorPool()
        for file_proto in _compile_descriptor_set().file:
            self._pool.Add(file_proto)
        self._classes = {}

    def message(self, full_name):
        cls = self._classes.get(full_name)
        if cls is None:
            descriptor = self._pool.FindMessageTypeByName(full_name)
            if hasattr(message_factory, "GetMessageClass"):
                cls = message_factory.GetMessageClass(descriptor)
            else:  # protobuf < 4.22, as in Debian bookworm
                cls = message_factory.MessageFactory(self._pool).GetPrototype(descriptor)
            self._classes[full_name] = cls
        return cls
