#!/usr/bin/env node
'use strict';
// A @grpc/grpc-js server for the interop tests: grpc.health.v1.Health and
// chronoq.interop.v1.InteropTest (see tests/interop/protos). Listens on 127.0.0.1 (port 0 unless
// --port), prints "LISTENING <port>" once it serves, and stops when its standard input closes.
//
// Usage: node interop_server.js [--port N] [--max-concurrent-streams N]
const grpc = require('@grpc/grpc-js');
const { load } = require('./protos');

// Large-message tests send up to 8 MiB; the oversize checks are on the client's side.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const KNOWN_SERVICES = new Set(['', 'grpc.health.v1.Health', 'chronoq.interop.v1.InteropTest']);

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const stats = { cancelled_calls: 0 };

function responseFor(call, request, index) {
  const metadata = {};
  for (const [key, value] of Object.entries(call.metadata.getMap())) {
    if (!key.startsWith('grpc-') && !key.endsWith('-bin') && typeof value === 'string') metadata[key] = value;
  }
  // grpc-js gives the deadline as a Date or a millisecond timestamp, and Infinity for none.
  const deadline = call.getDeadline();
  const due = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  const remaining = Number.isFinite(due) ? Math.round(due - Date.now()) : -1;
  return {
    payload: request.response_size ? Buffer.alloc(request.response_size) : request.payload,
    metadata,
    deadline_remaining_ms: String(remaining),
    index,
    peer: call.getPeer(),
  };
}

function echoMetadata(call) {
  const headers = new grpc.Metadata();
  const trailers = new grpc.Metadata();
  for (const [key, value] of Object.entries(call.metadata.getMap())) {
    if (key.startsWith('echo-') && typeof value === 'string') {
      headers.set(key, value);
      trailers.set('echo-trailer-' + key.slice('echo-'.length), value);
    }
  }
  return { headers, trailers };
}

// Resolves true after ms, or false as soon as the client cancels (or the deadline ends the call).
function pause(call, ms) {
  if (call.cancelled) return Promise.resolve(false);
  // Even with no pause, yield to the event loop so a long stream cannot starve the server.
  if (!ms) return new Promise((resolve) => setImmediate(() => resolve(!call.cancelled)));
  return new Promise((resolve) => {
    const timer = setTimeout(() => { call.removeListener('cancelled', onCancel); resolve(true); }, ms);
    function onCancel() { clearTimeout(timer); resolve(false); }
    call.once('cancelled', onCancel);
  });
}

const interop = {
  async Unary(call, callback) {
    const request = call.request;
    if (!(await pause(call, request.interval_ms))) { stats.cancelled_calls++; return; }
    if (request.status_code) {
      callback({ code: request.status_code, details: request.status_message });
      return;
    }
    callback(null, responseFor(call, request, 0));
  },
  async ServerStream(call) {
    const request = call.request;
    const { headers, trailers } = echoMetadata(call);
    call.sendMetadata(headers);
    for (let index = 0; index < request.count; index++) {
      if (!(await pause(call, request.interval_ms))) { stats.cancelled_calls++; return; }
      // Respect flow control: wait for the transport to drain before writing more.
      if (!call.write(responseFor(call, request, index))) await new Promise((resolve) => call.once('drain', resolve));
    }
    if (request.status_code) {
      call.emit('error', { code: request.status_code, details: request.status_message, metadata: trailers });
    } else {
      call.end(trailers);
    }
  },
  GetStats(call, callback) {
    callback(null, { cancelled_calls: stats.cancelled_calls });
  },
};

const health = {
  Check(call, callback) {
    if (!KNOWN_SERVICES.has(call.request.service)) {
      callback({ code: grpc.status.NOT_FOUND, details: 'unknown service ' + call.request.service.slice(0, 100) });
      return;
    }
    callback(null, { status: 'SERVING' });
  },
  Watch(call) {
    call.write({ status: KNOWN_SERVICES.has(call.request.service) ? 'SERVING' : 'SERVICE_UNKNOWN' });
    // Held open until the client cancels or its deadline passes, as a real Watch is.
  },
};

function main() {
  const protos = load();
  const options = {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  };
  const maxStreams = option('--max-concurrent-streams', 0);
  if (maxStreams) options['grpc.max_concurrent_streams'] = maxStreams;
  const server = new grpc.Server(options);
  server.addService(protos.grpc.health.v1.Health.service, health);
  server.addService(protos.chronoq.interop.v1.InteropTest.service, interop);
  server.bindAsync(`127.0.0.1:${option('--port', 0)}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      console.error(error);
      process.exit(1);
    }
    console.log(`LISTENING ${port}`);
  });
  const stop = () => { server.forceShutdown(); process.exit(0); };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
