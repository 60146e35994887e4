#!/usr/bin/env node
'use strict';
// Loopback throughput/latency probe for a grpc.testing.TestService server
// (server.js, or FileSwarm's implementation).
//
// Usage: node bench-client.js --target 127.0.0.1:PORT --mode unary|stream
//                             --seconds S [--concurrency C] [--size BYTES]
//   unary : C outstanding UnaryCalls at all times on one channel; request payload
//           and response_size are --size bytes (default 0). Reports calls/s and
//           latency percentiles.
//   stream: C concurrent StreamingOutputCalls on one channel, each asking for
//           --size-byte responses (default 65536) until ~64 MiB per stream; streams
//           are restarted until S seconds pass (the last one is cancelled).
//           Reports payload MB/s (MB = 1e6 bytes).
// Prints one JSON line on stdout. Exit 1 if no call succeeded or an error occurred.
// A short warm-up (connection + first calls) is excluded from the measurement.

const { grpc, parseArgs, parseIntArg, loadTesting, zeros } = require('./common');

const MAX_UNARY_CALLS = 50_000_000;  // hard bound besides time
const MAX_STREAMS = 1_000_000;
const STREAM_BYTES = 64 * 1024 * 1024;

function fail(msg, code = 2) {
  process.stderr.write(`bench-client.js: ${msg}\n`);
  process.exit(code);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const round = (x, d = 3) => (x === null ? null : Number(x.toFixed(d)));

function unaryOnce(client, req) {
  return new Promise((resolve) => {
    client.UnaryCall(req, { deadline: Date.now() + 30000 }, (err, resp) => resolve(err || null));
  });
}

async function benchUnary(client, seconds, concurrency, size) {
  const req = { response_size: size, payload: { body: zeros(size) } };
  for (let i = 0; i < Math.max(10, concurrency); i++) {
    const err = await unaryOnce(client, req);
    if (err) fail(`warm-up UnaryCall failed: ${err.code} ${err.details}`, 1);
  }
  const lat = [];
  let errors = 0;
  let firstError = null;
  let calls = 0;
  const start = process.hrtime.bigint();
  const endAt = start + BigInt(Math.round(seconds * 1e9));
  async function worker() {
    while (calls + errors < MAX_UNARY_CALLS) {
      const t0 = process.hrtime.bigint();
      if (t0 >= endAt) return;
      const err = await unaryOnce(client, req);
      const t1 = process.hrtime.bigint();
      if (err) {
        errors++;
        if (!firstError) firstError = `${err.code} ${err.details}`;
        if (errors > 100) return;
      } else {
        calls++;
        lat.push(Number(t1 - t0) / 1e6);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  lat.sort((a, b) => a - b);
  return {
    mode: 'unary',
    calls_per_sec: round(calls / elapsed, 1),
    p50_ms: round(percentile(lat, 50)),
    p99_ms: round(percentile(lat, 99)),
    calls, errors, first_error: firstError,
    seconds: round(elapsed), concurrency, size,
  };
}

async function benchStream(client, seconds, concurrency, size) {
  const perStream = Math.max(1, Math.min(100000, Math.floor(STREAM_BYTES / Math.max(size, 1))));
  let bytes = 0;
  let responses = 0;
  let streams = 0;
  let errors = 0;
  let firstError = null;
  let measuring = false;
  const start = { t: 0n };
  let endAt = 0n;

  function oneStream(count, stopAtDeadline) {
    return new Promise((resolve) => {
      const params = Array.from({ length: count }, () => ({ size }));
      const call = client.StreamingOutputCall({ response_parameters: params }, { deadline: Date.now() + 600000 });
      let cancelled = false;
      let n = 0;
      call.on('data', (m) => {
        n++;
        if (measuring) { bytes += m.payload.body.length; responses++; }
        if (stopAtDeadline && !cancelled && process.hrtime.bigint() >= endAt) { cancelled = true; call.cancel(); }
      });
      call.on('error', () => {});
      call.on('status', (st) => {
        if (st.code !== grpc.status.OK && !(cancelled && st.code === grpc.status.CANCELLED)) {
          errors++;
          if (!firstError) firstError = `${st.code} ${st.details}`;
        } else if (!cancelled && n !== count) {
          errors++;
          if (!firstError) firstError = `stream ended OK after ${n} of ${count} responses`;
        }
        resolve();
      });
    });
  }

  await oneStream(Math.min(perStream, 16), false); // warm-up
  if (errors) fail(`warm-up stream failed: ${firstError}`, 1);
  measuring = true;
  start.t = process.hrtime.bigint();
  endAt = start.t + BigInt(Math.round(seconds * 1e9));
  async function worker() {
    while (process.hrtime.bigint() < endAt && streams < MAX_STREAMS && errors <= 100) {
      streams++;
      await oneStream(perStream, true);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - start.t) / 1e9;
  return {
    mode: 'stream',
    mb_per_sec: round(bytes / 1e6 / elapsed, 2),
    responses_per_sec: round(responses / elapsed, 1),
    bytes, streams, errors, first_error: firstError,
    seconds: round(elapsed), concurrency, size,
  };
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), ['target', 'mode', 'seconds', 'concurrency', 'size']);
  } catch (e) { fail(e.message); }
  if (!args.target || !/^[^\s]+:\d+$/.test(args.target)) fail('--target HOST:PORT is required');
  const mode = args.mode || 'unary';
  if (mode !== 'unary' && mode !== 'stream') fail('--mode must be unary or stream');
  let seconds, concurrency, size;
  try {
    seconds = Number(args.seconds === undefined ? 5 : args.seconds);
    if (!(seconds > 0 && seconds <= 3600)) throw new Error('--seconds must be in (0, 3600]');
    concurrency = parseIntArg(args.concurrency, 'concurrency', mode === 'unary' ? 32 : 1, 1, 10000);
    size = parseIntArg(args.size, 'size', mode === 'unary' ? 0 : 65536, 0, 8 * 1024 * 1024);
  } catch (e) { fail(e.message); }

  const { TestService } = loadTesting();
  const client = new TestService(args.target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  const result = mode === 'unary'
    ? await benchUnary(client, seconds, concurrency, size)
    : await benchStream(client, seconds, concurrency, size);
  client.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const ok = mode === 'unary' ? result.calls > 0 : result.bytes > 0;
  process.exit(ok && result.errors === 0 ? 0 : 1);
}

main().catch((e) => fail(String(e && e.stack || e), 1));
