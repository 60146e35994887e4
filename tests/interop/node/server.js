#!/usr/bin/env node
'use strict';
// grpc.testing.TestService on grpc-js, per grpc/grpc doc/interop-test-descriptions.md
// (server features EmptyCall, UnaryCall, StreamingOutputCall, StreamingInputCall,
// FullDuplexCall, HalfDuplexCall, Echo Status, Echo Metadata,
// Observe ResponseParameters.interval_us). UnimplementedCall is deliberately not
// implemented, so calls to it (and to UnimplementedService) end with UNIMPLEMENTED.
//
// Usage: node server.js --port N [--host 127.0.0.1] [--use_tls false]
//                       [--tls_cert_file F --tls_key_file F] [--faults a,b]
// Prints exactly "LISTENING <port>" on stdout once bound. Exits 0 on SIGTERM/SIGINT
// and when stdin is a pipe that gets closed (the parent test fixture went away).
//
// --faults is for proving the client's checks can fail; never use it otherwise.

const fs = require('fs');
const { grpc, parseArgs, parseBool, parseIntArg, loadTesting, zeros } = require('./common');

const FAULTS = [
  'payload_size_off_by_one', // every response payload is one byte longer than asked
  'nonzero_payload',         // response payload bytes are 0x01 instead of zero
  'aggregate_off_by_one',    // StreamingInputCall reports sum + 1
  'extra_response',          // streaming calls send one extra (empty) response before OK
  'no_echo_initial',         // x-grpc-test-echo-initial is not echoed
  'no_echo_trailing',        // x-grpc-test-echo-trailing-bin is not echoed
  'mangle_echo',             // echoed metadata values are altered
  'status_message_mangle',   // echoed status message loses its last character
  'status_code_mangle',      // echoed status code is replaced by INTERNAL (13)
  'implement_unimplemented', // UnimplementedCall answers OK on both services
  'reject_streaming_input',  // StreamingInputCall fails at once with INTERNAL
  'empty_call_error',        // EmptyCall fails with UNKNOWN
];

const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';

function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), ['port', 'host', 'use_tls', 'tls_cert_file', 'tls_key_file', 'faults']);
  } catch (e) {
    process.stderr.write(`server.js: ${e.message}\n`);
    process.exit(2);
  }
  const port = parseIntArg(args.port, 'port', 0, 0, 65535);
  const host = args.host || '127.0.0.1';
  const faults = new Set((args.faults || '').split(',').filter(Boolean));
  for (const f of faults) {
    if (!FAULTS.includes(f)) {
      process.stderr.write(`server.js: unknown fault ${JSON.stringify(f)}; known: ${FAULTS.join(', ')}\n`);
      process.exit(2);
    }
  }

  let creds;
  if (parseBool(args.use_tls, 'use_tls')) {
    if (!args.tls_cert_file || !args.tls_key_file) {
      process.stderr.write('server.js: --use_tls true needs --tls_cert_file and --tls_key_file\n');
      process.exit(2);
    }
    creds = grpc.ServerCredentials.createSsl(null, [{
      cert_chain: fs.readFileSync(args.tls_cert_file),
      private_key: fs.readFileSync(args.tls_key_file),
    }]);
  } else {
    creds = grpc.ServerCredentials.createInsecure();
  }

  const { TestService, UnimplementedService } = loadTesting();
  const server = new grpc.Server({
    // Large enough for the interop sizes (314159) with plenty of headroom.
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    'grpc.max_send_message_length': 16 * 1024 * 1024,
  });
  const impl = makeTestService(faults);
  if (faults.has('implement_unimplemented')) {
    impl.UnimplementedCall = (call, cb) => cb(null, {});
    server.addService(UnimplementedService.service, { UnimplementedCall: (call, cb) => cb(null, {}) });
  }
  server.addService(TestService.service, impl);

  server.bindAsync(`${host}:${port}`, creds, (err, boundPort) => {
    if (err) {
      process.stderr.write(`server.js: bind ${host}:${port} failed: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`LISTENING ${boundPort}\n`);
  });

  let stopping = false;
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    server.forceShutdown();
    if (why) process.stderr.write(`server.js: stopping (${why})\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Only watch stdin when it is a pipe/socket: a background job's /dev/null stdin
  // would otherwise end at once.
  try {
    const st = fs.fstatSync(0);
    if (st.isFIFO() || st.isSocket()) {
      process.stdin.on('end', () => stop('stdin closed'));
      process.stdin.on('error', () => stop('stdin error'));
      process.stdin.resume();
    }
  } catch (_) { /* no stdin */ }
}

function makeTestService(faults) {
  const sizeOf = (n) => (faults.has('payload_size_off_by_one') ? n + 1 : n);
  const body = (n) => {
    const len = sizeOf(n);
    return faults.has('nonzero_payload') ? Buffer.alloc(len, 1) : zeros(len);
  };
  const payload = (n) => ({ type: 'COMPRESSABLE', body: body(n) });

  // Echo Metadata: initial value goes back in the response headers, the -bin value
  // in the trailers. Returns the trailer Metadata to send with the final status.
  function echoMetadata(call) {
    const initial = new grpc.Metadata();
    const trailer = new grpc.Metadata();
    const iv = call.metadata.get(ECHO_INITIAL);
    if (iv.length > 0 && !faults.has('no_echo_initial')) {
      for (const v of iv) initial.add(ECHO_INITIAL, faults.has('mangle_echo') ? `${v}x` : v);
      call.sendMetadata(initial);
    }
    const tv = call.metadata.get(ECHO_TRAILING);
    if (tv.length > 0 && !faults.has('no_echo_trailing')) {
      for (const v of tv) {
        const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
        trailer.add(ECHO_TRAILING, faults.has('mangle_echo') ? Buffer.concat([b, Buffer.from([0])]) : b);
      }
    }
    return trailer;
  }

  // Echo Status: a non-OK response_status ends the call with that code/message.
  function requestedStatus(req, trailer) {
    const s = req.response_status;
    if (!s || !s.code) return null;
    let code = s.code;
    let details = s.message;
    if (faults.has('status_code_mangle')) code = grpc.status.INTERNAL;
    if (faults.has('status_message_mangle')) details = details.slice(0, -1);
    return { code, details, metadata: trailer };
  }

  function checkType(t) {
    return t === undefined || t === null || t === 'COMPRESSABLE' || t === 0;
  }

  function invalid(details, trailer) {
    return { code: grpc.status.INVALID_ARGUMENT, details, metadata: trailer };
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // Writes with backpressure; resolves false if the call went away.
  function write(call, msg) {
    if (call.cancelled || call.destroyed || call.writableEnded) return Promise.resolve(false);
    if (call.write(msg)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok) => { call.off('drain', onDrain); call.off('cancelled', onCancel); resolve(ok); };
      const onDrain = () => done(true);
      const onCancel = () => done(false);
      call.on('drain', onDrain);
      call.on('cancelled', onCancel);
    });
  }

  // Sends the responses one StreamingOutputCallRequest asks for. Returns a status
  // object if the call must end with an error, else null.
  async function serveOutputRequest(call, req, trailer) {
    const st = requestedStatus(req, trailer);
    if (st) return st;
    if (!checkType(req.response_type)) return invalid('unsupported response_type', trailer);
    for (const p of req.response_parameters || []) {
      if (p.size < 0) return invalid(`negative response size ${p.size}`, trailer);
      if (p.interval_us > 0) await sleep(p.interval_us / 1000);
      if (!(await write(call, { payload: payload(p.size) }))) return null;
    }
    return null;
  }

  function finishStream(call, status, trailer) {
    if (call.cancelled || call.destroyed || call.writableEnded) return;
    if (status) {
      call.emit('error', status);
    } else {
      if (faults.has('extra_response')) call.write({});
      call.end(trailer);
    }
  }

  return {
    EmptyCall(call, callback) {
      if (faults.has('empty_call_error')) return callback({ code: grpc.status.UNKNOWN, details: 'injected fault' });
      callback(null, {});
    },

    UnaryCall(call, callback) {
      const trailer = echoMetadata(call);
      const req = call.request;
      const st = requestedStatus(req, trailer);
      if (st) return callback(st);
      if (!checkType(req.response_type)) return callback(invalid('unsupported response_type', trailer));
      if (req.response_size < 0) return callback(invalid(`negative response_size ${req.response_size}`, trailer));
      callback(null, { payload: payload(req.response_size) }, trailer);
    },

    StreamingOutputCall(call) {
      const trailer = echoMetadata(call);
      serveOutputRequest(call, call.request, trailer)
        .then((st) => finishStream(call, st, trailer))
        .catch((e) => finishStream(call, { code: grpc.status.INTERNAL, details: String(e && e.message) }, trailer));
    },

    StreamingInputCall(call, callback) {
      const trailer = echoMetadata(call);
      if (faults.has('reject_streaming_input')) {
        return callback({ code: grpc.status.INTERNAL, details: 'injected fault', metadata: trailer });
      }
      let total = 0;
      let done = false;
      call.on('data', (req) => {
        if (req.payload && req.payload.body) total += req.payload.body.length;
      });
      call.on('end', () => {
        if (done) return;
        done = true;
        if (faults.has('aggregate_off_by_one')) total += 1;
        callback(null, { aggregated_payload_size: total }, trailer);
      });
      call.on('error', () => { done = true; });
    },

    FullDuplexCall(call) {
      const trailer = echoMetadata(call);
      // Requests are served strictly in order; interval_us sleeps may delay a
      // request while the next is already buffered, hence the promise chain.
      let chain = Promise.resolve(null);
      let finished = false;
      const finish = (st) => {
        if (finished) return;
        finished = true;
        finishStream(call, st, trailer);
      };
      call.on('data', (req) => {
        chain = chain.then(async (prev) => {
          if (prev || finished) return prev;
          const st = await serveOutputRequest(call, req, trailer);
          if (st) finish(st); // Echo Status: stop at once, ignore later requests
          return st;
        });
      });
      call.on('end', () => {
        chain.then((st) => finish(st)).catch((e) => finish({ code: grpc.status.INTERNAL, details: String(e && e.message) }));
      });
      call.on('error', () => { finished = true; });
    },

    HalfDuplexCall(call) {
      const trailer = echoMetadata(call);
      const requests = [];
      call.on('data', (req) => requests.push(req));
      call.on('end', async () => {
        try {
          for (const req of requests) {
            const st = await serveOutputRequest(call, req, trailer);
            if (st) return finishStream(call, st, trailer);
          }
          finishStream(call, null, trailer);
        } catch (e) {
          finishStream(call, { code: grpc.status.INTERNAL, details: String(e && e.message) }, trailer);
        }
      });
      call.on('error', () => {});
    },
    // UnimplementedCall intentionally absent.
  };
}

main();
