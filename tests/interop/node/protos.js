'use strict';
// Loads the repository's .proto files with @grpc/proto-loader, so every script works from the
// contract itself (no generated code): add a file to PROTO_FILES and its services are there.
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const INCLUDE_DIRS = [path.join(REPO_ROOT, 'protos'), path.join(REPO_ROOT, 'tests', 'interop', 'protos')];
const PROTO_FILES = [
  'grpc/health/v1/health.proto',
  'chronoq/v1/chronoq.proto',
  'chronoq/interop/v1/interop.proto',
];

function load() {
  const definition = protoLoader.loadSync(PROTO_FILES, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: INCLUDE_DIRS,
  });
  return grpc.loadPackageDefinition(definition);
}

module.exports = { load, REPO_ROOT };
