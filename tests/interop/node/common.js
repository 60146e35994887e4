'use strict';
// Shared helpers for the FileSwarm grpc-js interop harness: argument parsing,
// loading the trimmed grpc.testing protos, zero-filled payload buffers.

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '..', 'proto');

// Parses "--key value" and "--key=value". A flag followed by another flag (or
// nothing) gets the value "true".
function parseArgs(argv, allowed) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    let key = a.slice(2);
    let value;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      value = argv[++i];
    } else {
      value = 'true';
    }
    if (allowed && !allowed.includes(key)) throw new Error(`unknown option --${key}`);
    out[key] = value;
  }
  return out;
}

function parseBool(v, name) {
  if (v === undefined) return false;
  const s = String(v).toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new Error(`--${name} must be true or false, got ${JSON.stringify(v)}`);
}

function parseIntArg(v, name, dflt, min, max) {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(String(v))) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new Error(`--${name} must be in [${min}, ${max}], got ${n}`);
  return n;
}

let cached;
// Returns { TestService, UnimplementedService, grpc } (service client constructors
// with .service definitions). keepCase keeps the proto field names (snake_case).
function loadTesting() {
  if (cached) return cached;
  const def = protoLoader.loadSync('grpc/testing/test.proto', {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def).grpc.testing;
  cached = { TestService: pkg.TestService, UnimplementedService: pkg.UnimplementedService };
  return cached;
}

// Zero-filled buffers: one shared backing store, handed out as read-only views.
let ZEROS = Buffer.alloc(0);
function zeros(n) {
  if (n > ZEROS.length) ZEROS = Buffer.alloc(Math.max(n, ZEROS.length * 2, 64 * 1024));
  return ZEROS.subarray(0, n);
}

function allZero(buf) {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

module.exports = { grpc, PROTO_ROOT, parseArgs, parseBool, parseIntArg, loadTesting, zeros, allZero };
