#!/usr/bin/env node
'use strict';
// Interop test client on grpc-js, per grpc/grpc doc/interop-test-descriptions.md.
//
// Usage: node client.js --server_host 127.0.0.1 --server_port N --test_case NAME
//                       [--use_tls false] [--server_host_override H] [--ca_file F]
//                       [--timeout_ms 15000]
// One case: exit 0 on pass; on failure one line "FAIL <case>: <reason>" on stderr, exit 1.
// --test_case all: runs every case, prints "PASS name" / "FAIL name: reason" on
// stdout, exits 1 if any failed. Usage errors exit 2.

const fs = require('fs');
const { grpc, parseArgs, parseBool, parseIntArg, loadTesting, zeros, allZero } = require('./common');

const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_INITIAL_VALUE = 'test_initial_metadata_value';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';
const ECHO_TRAILING_VALUE = Buffer.from([0xab, 0xab, 0xab]);
const SPECIAL_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1F608}\t\n';

class CheckError extends Error {}
function check(cond, msg) {
  if (!cond) throw new CheckError(msg);
}
const q = (v) => JSON.stringify(v);
const codeName = (c) => `${c} (${Object.keys(grpc.status).find((k) => grpc.status[k] === c) || '?'})`;

// ---- call helpers ---------------------------------------------------------

// Unary call; resolves { err, resp, headers, trailers, status } and never rejects.
function unary(client, method, req, opts = {}) {
  return new Promise((resolve) => {
    const out = { err: null, resp: null, headers: null, trailers: null, status: null };
    let pending = 2; // callback + 'status'
    const done = () => { if (--pending === 0) resolve(out); };
    const call = client[method](req, opts.metadata || new grpc.Metadata(), callOptions(opts), (err, resp) => {
      out.err = err; out.resp = resp; done();
    });
    call.on('metadata', (md) => { out.headers = md; });
    call.on('status', (st) => { out.status = st; out.trailers = st.metadata; done(); });
  });
}

// Collects a server-streaming / bidi call. Resolves when the status has arrived
// and, for OK, the read side has ended.
function collect(call) {
  return new Promise((resolve) => {
    const out = { messages: [], headers: null, status: null, error: null };
    let ended = false;
    const maybe = () => {
      if (out.status && (ended || out.status.code !== grpc.status.OK)) resolve(out);
    };
    call.on('metadata', (md) => { out.headers = md; });
    call.on('data', (m) => out.messages.push(m));
    call.on('end', () => { ended = true; maybe(); });
    call.on('error', (e) => { out.error = e; });
    call.on('status', (st) => { out.status = st; maybe(); });
  });
}

function nextMessage(call) {
  return new Promise((resolve, reject) => {
    const onData = (m) => { cleanup(); resolve(m); };
    const onEnd = () => { cleanup(); reject(new CheckError('stream ended before the expected response')); };
    const onErr = (e) => { cleanup(); reject(new CheckError(`call failed while waiting for a response: ${codeName(e.code)} ${q(e.details)}`)); };
    const cleanup = () => { call.off('data', onData); call.off('end', onEnd); call.off('error', onErr); call.pause(); };
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('error', onErr);
    call.resume();
  });
}

let defaultTimeoutMs = 15000;
function callOptions(opts) {
  return { deadline: opts.deadline || Date.now() + defaultTimeoutMs };
}

function expectOk(r, what) {
  const st = r.status;
  check(st, `${what}: no status received`);
  check(st.code === grpc.status.OK, `${what}: expected status 0 (OK), got ${codeName(st.code)} ${q(st.details)}`);
}

function expectPayload(p, size, what) {
  check(p && p.body, `${what}: response has no payload`);
  check(p.body.length === size, `${what}: payload body is ${p.body.length} bytes, expected ${size}`);
  check(p.type === 'COMPRESSABLE', `${what}: payload type ${q(p.type)}, expected COMPRESSABLE`);
  check(allZero(p.body), `${what}: payload body is not all zero bytes`);
}

function expectSizes(messages, sizes, what) {
  check(messages.length === sizes.length, `${what}: expected exactly ${sizes.length} responses, got ${messages.length}`);
  messages.forEach((m, i) => expectPayload(m.payload, sizes[i], `${what} response #${i}`));
}

function echoMetadata() {
  const md = new grpc.Metadata();
  md.add(ECHO_INITIAL, ECHO_INITIAL_VALUE);
  md.add(ECHO_TRAILING, ECHO_TRAILING_VALUE);
  return md;
}

function checkEchoed(headers, trailers, what) {
  const iv = headers ? headers.get(ECHO_INITIAL) : [];
  check(iv.length === 1 && iv[0] === ECHO_INITIAL_VALUE,
    `${what}: initial metadata ${ECHO_INITIAL} = ${q(iv)}, expected [${q(ECHO_INITIAL_VALUE)}]`);
  const tv = trailers ? trailers.get(ECHO_TRAILING) : [];
  check(tv.length === 1 && Buffer.isBuffer(tv[0]) && tv[0].equals(ECHO_TRAILING_VALUE),
    `${what}: trailing metadata ${ECHO_TRAILING} = ${q(tv.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))}, expected ["ababab"]`);
  // The echoes must be in the right place, not just somewhere.
  check(!(headers && headers.get(ECHO_TRAILING).length), `${what}: ${ECHO_TRAILING} came back in the initial metadata`);
  check(!(trailers && trailers.get(ECHO_INITIAL).length), `${what}: ${ECHO_INITIAL} came back in the trailing metadata`);
}

function expectStatus(st, code, message, what) {
  check(st, `${what}: no status received`);
  check(st.code === code, `${what}: expected status ${codeName(code)}, got ${codeName(st.code)} ${q(st.details)}`);
  if (message !== undefined) {
    check(st.details === message, `${what}: expected status message ${q(message)}, got ${q(st.details)}`);
  }
}

// Waits until the channel is connected, so that a case whose check is about a
// deadline or a cancel runs against a live server (and fails when there is none).
function ready(client) {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + defaultTimeoutMs, (err) => {
      if (err) reject(new CheckError(`could not connect to the server: ${err.message}`));
      else resolve();
    });
  });
}

// ---- cases ----------------------------------------------------------------

const CASES = {
  async empty_unary({ test }) {
    const r = await unary(test, 'EmptyCall', {});
    expectOk(r, 'EmptyCall');
    check(r.resp && typeof r.resp === 'object', 'EmptyCall: response is null');
    check(Object.keys(r.resp).length === 0, `EmptyCall: response has fields ${q(Object.keys(r.resp))}`);
  },

  async large_unary({ test }) {
    const r = await unary(test, 'UnaryCall', { response_size: 314159, payload: { body: zeros(271828) } });
    expectOk(r, 'UnaryCall');
    expectPayload(r.resp.payload, 314159, 'UnaryCall');
  },

  async client_streaming({ test }) {
    const res = new Promise((resolve) => {
      const out = {};
      let pending = 2;
      const call = test.StreamingInputCall(new grpc.Metadata(), callOptions({}), (err, resp) => {
        out.err = err; out.resp = resp; if (--pending === 0) resolve(out);
      });
      call.on('status', (st) => { out.status = st; if (--pending === 0) resolve(out); });
      for (const n of [27182, 8, 1828, 45904]) call.write({ payload: { body: zeros(n) } });
      call.end();
    });
    const r = await res;
    expectOk(r, 'StreamingInputCall');
    check(r.resp, 'StreamingInputCall: no response');
    check(r.resp.aggregated_payload_size === 74922,
      `StreamingInputCall: aggregated_payload_size ${r.resp.aggregated_payload_size}, expected 74922`);
  },

  async server_streaming({ test }) {
    const sizes = [31415, 9, 2653, 58979];
    const call = test.StreamingOutputCall({ response_parameters: sizes.map((size) => ({ size })) },
      new grpc.Metadata(), callOptions({}));
    const r = await collect(call);
    expectOk(r, 'StreamingOutputCall');
    expectSizes(r.messages, sizes, 'StreamingOutputCall');
  },

  async ping_pong({ test }) {
    const reqSizes = [27182, 8, 1828, 45904];
    const respSizes = [31415, 9, 2653, 58979];
    const call = test.FullDuplexCall(new grpc.Metadata(), callOptions({}));
    const statusP = new Promise((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    call.pause();
    for (let i = 0; i < 4; i++) {
      call.write({ response_parameters: [{ size: respSizes[i] }], payload: { body: zeros(reqSizes[i]) } });
      const m = await nextMessage(call);
      expectPayload(m.payload, respSizes[i], `FullDuplexCall response #${i}`);
    }
    call.end();
    const extra = [];
    call.on('data', (m) => extra.push(m));
    const endP = new Promise((resolve) => call.on('end', resolve));
    call.resume();
    const st = await statusP;
    expectStatus(st, grpc.status.OK, undefined, 'FullDuplexCall');
    await endP;
    check(extra.length === 0, `FullDuplexCall: expected exactly 4 responses, got ${4 + extra.length}`);
  },

  async empty_stream({ test }) {
    const call = test.FullDuplexCall(new grpc.Metadata(), callOptions({}));
    const p = collect(call);
    call.end();
    const r = await p;
    expectOk(r, 'FullDuplexCall');
    check(r.messages.length === 0, `FullDuplexCall: expected zero responses, got ${r.messages.length}`);
  },

  async cancel_after_begin({ test }) {
    await ready(test);
    const r = await new Promise((resolve) => {
      const out = {};
      let pending = 2;
      const call = test.StreamingInputCall(new grpc.Metadata(), callOptions({}), (err, resp) => {
        out.err = err; out.resp = resp; if (--pending === 0) resolve(out);
      });
      call.on('status', (st) => { out.status = st; if (--pending === 0) resolve(out); });
      // Give the request HEADERS a moment to reach the server, then cancel before
      // any message is sent.
      setTimeout(() => call.cancel(), 50);
    });
    expectStatus(r.status, grpc.status.CANCELLED, undefined, 'StreamingInputCall');
    check(!r.resp, 'StreamingInputCall: got a response despite cancelling');
  },

  async cancel_after_first_response({ test }) {
    const call = test.FullDuplexCall(new grpc.Metadata(), callOptions({}));
    const statusP = new Promise((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    call.pause();
    call.write({ response_parameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
    const m = await nextMessage(call);
    expectPayload(m.payload, 31415, 'FullDuplexCall response #0');
    call.cancel();
    call.resume();
    const st = await statusP;
    expectStatus(st, grpc.status.CANCELLED, undefined, 'FullDuplexCall');
  },

  async timeout_on_sleeping_server({ test }) {
    await ready(test);
    const call = test.FullDuplexCall(new grpc.Metadata(), { deadline: Date.now() + 1 });
    const p = collect(call);
    call.write({ payload: { body: zeros(27182) } });
    // No half-close: the server keeps waiting, so only the deadline ends the call.
    const r = await p;
    expectStatus(r.status, grpc.status.DEADLINE_EXCEEDED, undefined, 'FullDuplexCall');
  },

  async custom_metadata({ test }) {
    const r = await unary(test, 'UnaryCall', { response_size: 314159, payload: { body: zeros(271828) } },
      { metadata: echoMetadata() });
    expectOk(r, 'UnaryCall');
    expectPayload(r.resp.payload, 314159, 'UnaryCall');
    checkEchoed(r.headers, r.trailers, 'UnaryCall');

    const call = test.FullDuplexCall(echoMetadata(), callOptions({}));
    const p = collect(call);
    call.write({ response_parameters: [{ size: 314159 }], payload: { body: zeros(271828) } });
    call.end();
    const s = await p;
    expectOk(s, 'FullDuplexCall');
    expectSizes(s.messages, [314159], 'FullDuplexCall');
    checkEchoed(s.headers, s.status.metadata, 'FullDuplexCall');
  },

  async status_code_and_message({ test }) {
    const response_status = { code: 2, message: 'test status message' };
    const r = await unary(test, 'UnaryCall', { response_status });
    expectStatus(r.status, 2, 'test status message', 'UnaryCall');

    const call = test.FullDuplexCall(new grpc.Metadata(), callOptions({}));
    const p = collect(call);
    call.write({ response_status });
    call.end();
    const s = await p;
    expectStatus(s.status, 2, 'test status message', 'FullDuplexCall');
  },

  async special_status_message({ test }) {
    const r = await unary(test, 'UnaryCall', { response_status: { code: 2, message: SPECIAL_MESSAGE } });
    expectStatus(r.status, 2, SPECIAL_MESSAGE, 'UnaryCall');
  },

  async unimplemented_method({ test }) {
    const r = await unary(test, 'UnimplementedCall', {});
    expectStatus(r.status, grpc.status.UNIMPLEMENTED, undefined, 'TestService/UnimplementedCall');
  },

  async unimplemented_service({ unimpl }) {
    const r = await unary(unimpl, 'UnimplementedCall', {});
    expectStatus(r.status, grpc.status.UNIMPLEMENTED, undefined, 'UnimplementedService/UnimplementedCall');
  },
};

// ---- driver ---------------------------------------------------------------

function usage(msg) {
  process.stderr.write(`client.js: ${msg}\nusage: node client.js --server_host H --server_port N --test_case (${Object.keys(CASES).join('|')}|all) [--use_tls false]\n`);
  process.exit(2);
}

function oneLine(e) {
  if (e instanceof CheckError) return e.message;
  return `unexpected exception: ${String(e && e.stack ? e.stack.split('\n')[0] : e)}`.replace(/[\r\n]+/g, ' ');
}

async function runCase(name, clients, budgetMs) {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckError(`case did not finish within ${budgetMs} ms`)), budgetMs);
  });
  try {
    await Promise.race([CASES[name](clients), watchdog]);
    return null;
  } catch (e) {
    return oneLine(e);
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), ['server_host', 'server_port', 'test_case', 'use_tls',
      'server_host_override', 'ca_file', 'use_test_ca', 'timeout_ms']);
  } catch (e) { usage(e.message); }
  let port, useTls;
  try {
    port = parseIntArg(args.server_port, 'server_port', undefined, 1, 65535);
    useTls = parseBool(args.use_tls, 'use_tls');
    defaultTimeoutMs = parseIntArg(args.timeout_ms, 'timeout_ms', 15000, 100, 600000);
  } catch (e) { usage(e.message); }
  if (port === undefined) usage('--server_port is required');
  const testCase = args.test_case;
  if (!testCase) usage('--test_case is required');
  if (testCase !== 'all' && !Object.prototype.hasOwnProperty.call(CASES, testCase)) usage(`unknown test case ${q(testCase)}`);
  const host = args.server_host || '127.0.0.1';
  const target = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;

  const options = {
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    // Fresh connection per client object: keeps cases independent.
    'grpc.use_local_subchannel_pool': 1,
  };
  let creds;
  if (useTls) {
    creds = grpc.credentials.createSsl(args.ca_file ? fs.readFileSync(args.ca_file) : null);
    if (args.server_host_override) options['grpc.ssl_target_name_override'] = args.server_host_override;
  } else {
    creds = grpc.credentials.createInsecure();
  }
  if (args.server_host_override) options['grpc.default_authority'] = args.server_host_override;

  const { TestService, UnimplementedService } = loadTesting();
  const names = testCase === 'all' ? Object.keys(CASES) : [testCase];
  let failed = 0;
  for (const name of names) {
    const clients = {
      test: new TestService(target, creds, options),
      unimpl: new UnimplementedService(target, creds, options),
    };
    const reason = await runCase(name, clients, defaultTimeoutMs + 5000);
    clients.test.close();
    clients.unimpl.close();
    if (testCase === 'all') {
      process.stdout.write(reason ? `FAIL ${name}: ${reason}\n` : `PASS ${name}\n`);
    } else if (reason) {
      process.stderr.write(`FAIL ${name}: ${reason}\n`);
    }
    if (reason) failed++;
  }
  process.exitCode = failed ? 1 : 0;
  // Don't let a stuck channel keep the process alive.
  setTimeout(() => process.exit(process.exitCode), 200).unref();
}

main().catch((e) => {
  process.stderr.write(`client.js: ${oneLine(e)}\n`);
  process.exit(1);
});
