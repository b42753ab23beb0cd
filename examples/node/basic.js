'use strict';
// A Chronoq client in Node.js, generated at run time from protos/ by @grpc/proto-loader (no code
// generation step): put a job, reserve it, delete it, read the topic's counters.
//
//   (cd tests/interop/node && npm ci)          # @grpc/grpc-js + @grpc/proto-loader, pinned
//   node examples/node/basic.js --address 127.0.0.1:50051
//
// The packages are borrowed from tests/interop/node, which scripts/install-test-prereqs.sh keeps
// installed; an app of your own would `npm install @grpc/grpc-js @grpc/proto-loader` instead.
const path = require('path');
const { createRequire } = require('module');

const repoRoot = path.resolve(__dirname, '..', '..');
const requireFromInterop = createRequire(path.join(repoRoot, 'tests', 'interop', 'node', 'package.json'));
const grpc = requireFromInterop('@grpc/grpc-js');
const protoLoader = requireFromInterop('@grpc/proto-loader');

const argIndex = process.argv.indexOf('--address');
const address = (argIndex > 0 ? process.argv[argIndex + 1] : '127.0.0.1:50051').replace(/^https?:\/\//, '').replace(/\/$/, '');

const definition = protoLoader.loadSync('chronoq/v1/chronoq.proto', {
  includeDirs: [path.join(repoRoot, 'protos')],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const { Chronoq } = grpc.loadPackageDefinition(definition).chronoq.v1;
const client = new Chronoq(address, grpc.credentials.createInsecure());

// Promisified unary calls with a 10 s deadline each.
function call(method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + 10_000 }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

async function main() {
  const topic = 'examples.node';
  const put = await call('Put', { topic, body: Buffer.from('hello from node'), priority: 5, ttr: { seconds: 30 } });
  console.log(`put job ${put.id} (created: ${put.created})`);

  const reserved = await call('ReserveOne', { topics: [topic], timeout: { seconds: 5 } });
  if (!reserved.job) {
    throw new Error('no job became ready within 5 s');
  }
  const { job, reservation } = reserved.job;
  console.log(`reserved job ${job.id}: "${job.body.toString()}" (reservation ${reservation})`);

  await call('Delete', { id: job.id, reservation });
  console.log(`deleted job ${job.id}`);

  const stats = await call('GetTopicStats', { topic });
  console.log(`topic ${stats.name}: ${stats.total_puts} put, ${stats.total_deletes} deleted, ${stats.ready} ready`);
}

main()
  .then(() => client.close())
  .catch((error) => {
    console.error(`failed: ${error.message}`);
    client.close();
    process.exitCode = 1;
  });
