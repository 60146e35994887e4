#!/usr/bin/env node
'use strict';
// Proves the harness: grpc-js client.js against grpc-js server.js must pass every
// case, and every case must be able to fail. Failure paths are shown by pointing
// the client at a port where nothing listens, and by server.js --faults, each of
// which breaks one server behaviour and must make exactly the listed cases fail.
//
// Usage: node selftest.js        (exit 0 when every expectation holds)

const { spawn, spawnSync } = require('child_process');
const net = require('net');
const path = require('path');

const NODE = process.execPath;
const CLIENT = path.join(__dirname, 'client.js');
const SERVER = path.join(__dirname, 'server.js');

const ALL = ['empty_unary', 'large_unary', 'client_streaming', 'server_streaming', 'ping_pong',
  'empty_stream', 'cancel_after_begin', 'cancel_after_first_response', 'timeout_on_sleeping_server',
  'custom_metadata', 'status_code_and_message', 'special_status_message', 'unimplemented_method',
  'unimplemented_service'];

const PAYLOAD_CASES = ['large_unary', 'server_streaming', 'ping_pong', 'cancel_after_first_response', 'custom_metadata'];
const FAULT_EXPECT = {
  payload_size_off_by_one: PAYLOAD_CASES,
  nonzero_payload: PAYLOAD_CASES,
  aggregate_off_by_one: ['client_streaming'],
  extra_response: ['server_streaming', 'ping_pong', 'empty_stream', 'custom_metadata'],
  no_echo_initial: ['custom_metadata'],
  no_echo_trailing: ['custom_metadata'],
  mangle_echo: ['custom_metadata'],
  status_message_mangle: ['status_code_and_message', 'special_status_message'],
  status_code_mangle: ['status_code_and_message', 'special_status_message'],
  implement_unimplemented: ['unimplemented_method', 'unimplemented_service'],
  reject_streaming_input: ['client_streaming', 'cancel_after_begin'],
  empty_call_error: ['empty_unary'],
};

function startServer(faults) {
  return new Promise((resolve, reject) => {
    const args = [SERVER, '--port', '0'];
    if (faults) args.push('--faults', faults);
    const child = spawn(NODE, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error('server did not print LISTENING')); }, 10000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /^LISTENING (\d+)\n/.exec(buf);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited early (${code})`)); });
  });
}

function stopServer(s) {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code, sig) => resolve({ code, sig }));
    s.child.kill('SIGTERM');
  });
}

function runClient(port, testCase) {
  const r = spawnSync(NODE, [CLIENT, '--server_host', '127.0.0.1', '--server_port', String(port),
    '--test_case', testCase, '--timeout_ms', '5000'], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function parseAll(stdout) {
  const res = {};
  for (const line of stdout.split('\n')) {
    const m = /^(PASS|FAIL) ([a-z_]+)(?:: (.*))?$/.exec(line);
    if (m) res[m[2]] = { pass: m[1] === 'PASS', reason: m[3] || '' };
  }
  return res;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let problems = 0;
function expect(cond, msg) {
  if (!cond) { problems++; console.log(`  PROBLEM: ${msg}`); }
}

async function main() {
  // 1. Clean run: everything passes, exit 0; single case exits 0 quietly.
  let s = await startServer();
  let r = runClient(s.port, 'all');
  let res = parseAll(r.stdout);
  console.log(`clean server: exit ${r.status}`);
  console.log(r.stdout.trimEnd().replace(/^/gm, '  '));
  expect(r.status === 0, 'clean run must exit 0');
  for (const c of ALL) expect(res[c] && res[c].pass, `${c} must PASS against a clean server`);
  for (const c of ALL) {
    const one = runClient(s.port, c);
    expect(one.status === 0 && one.stderr === '', `single ${c}: exit ${one.status} stderr ${JSON.stringify(one.stderr)}`);
  }
  const bad = spawnSync(NODE, [CLIENT, '--server_port', String(s.port), '--test_case', 'no_such_case'], { encoding: 'utf8' });
  expect(bad.status === 2, `unknown case must exit 2, got ${bad.status}`);
  const st = await stopServer(s);
  expect(st.code === 0, `server must exit 0 on SIGTERM, got ${st.code}/${st.sig}`);
  console.log(`server exit on SIGTERM: ${st.code}`);

  // 2. Nothing listening: every case fails, exit non-zero; single case exit 1 + one stderr line.
  const port = await freePort();
  r = runClient(port, 'all');
  res = parseAll(r.stdout);
  console.log(`nothing listening on ${port}: exit ${r.status}`);
  console.log(r.stdout.trimEnd().replace(/^/gm, '  '));
  expect(r.status === 1, 'run against nothing must exit 1');
  for (const c of ALL) expect(res[c] && !res[c].pass, `${c} must FAIL when nothing listens`);
  const one = runClient(port, 'large_unary');
  expect(one.status === 1 && /^FAIL large_unary: [^\n]+\n$/.test(one.stderr), `single case against nothing: exit ${one.status}, stderr ${JSON.stringify(one.stderr)}`);

  // 3. Fault injection: exactly the listed cases fail.
  for (const [fault, failing] of Object.entries(FAULT_EXPECT)) {
    s = await startServer(fault);
    r = runClient(s.port, 'all');
    res = parseAll(r.stdout);
    await stopServer(s);
    const failed = ALL.filter((c) => res[c] && !res[c].pass);
    console.log(`fault ${fault}: exit ${r.status}, failed [${failed.join(', ')}]`);
    for (const c of failed) console.log(`  FAIL ${c}: ${res[c].reason}`);
    expect(r.status === 1, `fault ${fault}: exit must be 1`);
    for (const c of ALL) {
      expect(res[c] !== undefined, `fault ${fault}: no result line for ${c}`);
      if (res[c]) expect(res[c].pass === !failing.includes(c), `fault ${fault}: ${c} expected ${failing.includes(c) ? 'FAIL' : 'PASS'}`);
    }
  }

  // 4. stdin close stops the server (the C# fixture relies on this if it dies).
  s = await startServer();
  const exited = new Promise((resolve) => { s.child.removeAllListeners('exit'); s.child.on('exit', (code) => resolve(code)); });
  s.child.stdin.end();
  const code = await Promise.race([exited, new Promise((r2) => setTimeout(() => r2('timeout'), 5000))]);
  console.log(`server exit on stdin close: ${code}`);
  expect(code === 0, `server must exit 0 when stdin closes, got ${code}`);
  if (code === 'timeout') s.child.kill('SIGKILL');

  console.log(problems ? `SELFTEST FAILED (${problems} problems)` : 'SELFTEST OK');
  process.exit(problems ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
