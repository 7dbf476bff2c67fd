#!/usr/bin/env node
// Interop test: an independent Node.js client (@grpc/grpc-js + @grpc/proto-loader, nothing
// generated from our C++ build) drives the real citecheck-server binary over the wire.
//
//   node interop_test.js path/to/citecheck-server
//
// Starts the server on a free loopback port with the in-memory store, checks SubmitBatch,
// WatchJob, GetJob, the google.rpc.Status error details and the standard health service, then
// stops the server with SIGTERM and expects exit code 0. Then it starts the server again with
// mTLS (a throwaway PKI from tests/integration/make_test_certs.sh) and checks that a Node client
// with a certificate from the CA is served over TLS, while a client without one and a plaintext
// client are refused. Exits non-zero on any failure; an overall timeout kills the server. Run by
// ctest (tests/interop/CMakeLists.txt).
'use strict';

const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
// protobufjs comes with @grpc/proto-loader; resolve it from there so a nested install works too.
const protobuf = require(require.resolve('protobufjs', {
  paths: [path.dirname(require.resolve('@grpc/proto-loader/package.json')), __dirname],
}));

const OVERALL_TIMEOUT_MS = 90_000;
const STARTUP_TIMEOUT_MS = 20_000;
const RPC_DEADLINE_MS = 10_000;

const REPO = path.resolve(__dirname, '..', '..');
const PROTOS = path.join(REPO, 'protos');
const GOOGLEAPIS = path.join(REPO, 'third_party', 'googleapis');
const GRPC_PROTO = '/usr/share/grpc-proto';  // Debian package grpc-proto
const DOMAIN = 'citecheck.v1';

const CITATIONS = [
  'Smith, J. A., & Lee, K. (2020). Reading habits of first-year students. Journal of ' +
    'Educational Research, 45(2), 101–115. https://doi.org/10.1234/jer.2020.045',
  'Brown, T. and Garcia, M. (2018). The Role Of Sleep In Memory Consolidation. Sleep Science, ' +
    '12(4), 220-231. doi:10.5678/ss.2018.012',
  'Nguyen, P. (2021). Urban gardening and community health (2nd ed.). Green Press.',
];

let server = null;            // the child process
let serverExit = null;        // Promise<{code, signal}>
let serverStderr = '';
let checks = 0;
const clients = [];

function log(msg) { process.stdout.write(`${msg}\n`); }
function ok(msg) { checks += 1; log(`ok ${checks} - ${msg}`); }

function fail(err) {
  log(`FAIL: ${err && err.stack ? err.stack : err}`);
  if (serverStderr) {
    log('---- server log (stderr, last 4000 chars) ----');
    log(serverStderr.slice(-4000));
  }
  for (const c of clients) { try { c.close(); } catch (_) { /* ignore */ } }
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  process.exit(1);
}

// ---- protos -------------------------------------------------------------------------------
const LOADER_OPTIONS = {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  includeDirs: [PROTOS, GOOGLEAPIS],
};

function loadApi() {
  const def = protoLoader.loadSync(path.join(PROTOS, 'citecheck', 'v1', 'citecheck.proto'),
    LOADER_OPTIONS);
  return grpc.loadPackageDefinition(def).citecheck.v1;
}

function loadHealth() {
  const file = path.join(GRPC_PROTO, 'grpc', 'health', 'v1', 'health.proto');
  assert.ok(fs.existsSync(file), `${file} is missing: install the Debian package grpc-proto`);
  const def = protoLoader.loadSync('grpc/health/v1/health.proto', {
    ...LOADER_OPTIONS, includeDirs: [GRPC_PROTO],
  });
  return grpc.loadPackageDefinition(def).grpc.health.v1;
}

// google.rpc.Status and its details, decoded with protobufjs from our wire-compatible protos.
function loadRpcTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of [GOOGLEAPIS, PROTOS]) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;  // google/protobuf/*.proto are bundled with protobufjs
  };
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  return {
    Status: root.lookupType('google.rpc.Status'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
    BadRequest: root.lookupType('google.rpc.BadRequest'),
  };
}

// Decodes the grpc-status-details-bin trailer of a failed call into
// {status, errorInfo, badRequest}; asserts that it exists and matches the call's code.
function statusDetails(err, rpc) {
  assert.ok(err && err.metadata, 'the error carries metadata');
  const values = err.metadata.get('grpc-status-details-bin');
  assert.equal(values.length, 1, 'exactly one grpc-status-details-bin trailer');
  const status = rpc.Status.decode(values[0]);
  assert.equal(status.code, err.code, 'google.rpc.Status.code equals the gRPC status code');
  const out = { status, errorInfo: null, badRequest: null };
  for (const any of status.details) {
    if (any.type_url === 'type.googleapis.com/google.rpc.ErrorInfo') {
      out.errorInfo = rpc.ErrorInfo.decode(any.value);
    } else if (any.type_url === 'type.googleapis.com/google.rpc.BadRequest') {
      out.badRequest = rpc.BadRequest.decode(any.value);
    }
  }
  assert.ok(out.errorInfo, 'the details hold a google.rpc.ErrorInfo');
  return out;
}

// ---- server process -----------------------------------------------------------------------
function startServer(binary, extraArgs = []) {
  const args = ['--store=memory', '--listen', '127.0.0.1:0', '--watch_heartbeat', '1s',
    ...extraArgs];
  serverStderr = '';
  log(`starting ${binary} ${args.join(' ')}`);
  server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  serverExit = new Promise((resolve) => {
    server.on('exit', (code, signal) => resolve({ code, signal }));
  });
  server.stderr.on('data', (chunk) => { serverStderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" line within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS);
    server.on('error', (e) => { clearTimeout(timer); reject(e); });
    serverExit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening (code ${code}, signal ${signal})`));
    });
    const lines = readline.createInterface({ input: server.stdout });
    lines.on('line', (line) => {
      const m = /^listening on (\S+)\s*$/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
}

// ---- small promise helpers ----------------------------------------------------------------
function deadline() { return new Date(Date.now() + RPC_DEADLINE_MS); }

function meta(user) {
  const md = new grpc.Metadata();
  md.set('x-free-user-id', user);
  return md;
}

function unary(client, method, request, md) {
  return new Promise((resolve, reject) => {
    client[method](request, md, { deadline: deadline() }, (err, reply) => {
      if (err) reject(err); else resolve(reply);
    });
  });
}

// Calls a unary method that must fail; resolves with the error.
async function unaryError(client, method, request, md) {
  let reply;
  try {
    reply = await unary(client, method, request, md);
  } catch (err) {
    return err;
  }
  throw new assert.AssertionError({ message: `${method} succeeded but should fail: ` +
    JSON.stringify(reply) });
}

// Reads a whole server stream; resolves with {events, status} once the status arrives.
function readStream(call) {
  return new Promise((resolve, reject) => {
    const events = [];
    let error = null;
    call.on('data', (e) => events.push(e));
    call.on('error', (e) => { error = e; });
    call.on('status', (status) => {
      if (error) reject(error); else resolve({ events, status });
    });
  });
}

// ---- the test -----------------------------------------------------------------------------
async function main() {
  const binary = process.argv[2];
  assert.ok(binary, 'usage: node interop_test.js path/to/citecheck-server');
  assert.ok(fs.existsSync(binary), `server binary not found: ${binary}`);

  const api = loadApi();
  const health = loadHealth();
  const rpc = loadRpcTypes();

  const address = await startServer(path.resolve(binary));
  ok(`server listening on ${address}`);
  const creds = grpc.credentials.createInsecure();
  const citation = new api.CitationService(address, creds);
  const healthClient = new health.Health(address, creds);
  clients.push(citation, healthClient);

  const user = `interop-user-${process.pid}-${Date.now()}`;
  const stranger = `interop-stranger-${process.pid}-${Date.now()}`;

  // (a) SubmitBatch: three citations separated by blank lines, a free user (limit 5).
  const job = await unary(citation, 'SubmitBatch', { text: CITATIONS.join('\n\n') }, meta(user));
  assert.equal(typeof job.job_id, 'string');
  assert.ok(job.job_id.length > 0, 'job_id is not empty');
  assert.equal(job.total, 3, 'total');
  assert.equal(job.accepted, 3, 'accepted');
  assert.equal(job.locked, 0, 'locked');
  assert.equal(job.partial, false, 'partial');
  assert.ok(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'].includes(job.state),
    `state after submit: ${job.state}`);
  ok(`SubmitBatch: job ${job.job_id}, total 3, accepted 3, state ${job.state}`);

  // (b) WatchJob from the start to the terminal event.
  const call = citation.WatchJob({ job_id: job.job_id, after_sequence: '0' }, meta(user),
    { deadline: new Date(Date.now() + 30_000) });
  const { events, status } = await readStream(call);
  assert.equal(status.code, grpc.status.OK, `WatchJob ends with OK (got ${status.code}: ` +
    `${status.details})`);
  const real = [];
  let lastSequence = 0;
  for (const e of events) {
    assert.equal(e.job_id, job.job_id, 'every event names the job');
    if (e.event === 'heartbeat') {
      assert.equal(Number(e.sequence), lastSequence, 'a heartbeat repeats the last sequence');
      continue;
    }
    real.push(e);
    lastSequence = Number(e.sequence);
  }
  assert.ok(real.length >= 5, `at least 5 events (got ${real.length})`);
  assert.deepEqual(real.map((e) => Number(e.sequence)),
    Array.from({ length: real.length }, (_, i) => i + 1), 'sequences are 1..n with no gaps');
  assert.equal(real[0].event, 'job_update', 'the first event is a job_update');
  const results = real.filter((e) => e.event === 'result');
  assert.equal(results.length, 3, 'exactly 3 result events');
  assert.deepEqual(results.map((e) => e.result.index).sort((x, y) => x - y), [0, 1, 2],
    'result indices');
  for (const e of results) {
    assert.equal(e.result.original.length > 0, true, 'a result echoes its citation');
    assert.ok(e.result.source_type.length > 0, 'a result has a source_type');
  }
  assert.equal(real.filter((e) => e.event === 'failure').length, 0, 'no failure events');
  const last = real[real.length - 1];
  assert.equal(last.event, 'job_update', 'the last event is a job_update');
  assert.equal(last.job_update.state, 'JOB_STATE_SUCCEEDED', 'the last state is SUCCEEDED');
  ok(`WatchJob: ${real.length} events (sequences 1..${real.length}, ` +
    `${events.length - real.length} heartbeats), 3 results, ends SUCCEEDED with OK`);

  // (c) GetJob: the finished job with its results.
  const got = await unary(citation, 'GetJob', { job_id: job.job_id }, meta(user));
  assert.equal(got.job_id, job.job_id);
  assert.equal(got.state, 'JOB_STATE_SUCCEEDED', 'GetJob state');
  assert.equal(got.results.length, 3, 'GetJob has 3 results');
  assert.equal(got.succeeded, 3, 'GetJob succeeded');
  assert.equal(got.failed, 0, 'GetJob failed');
  assert.deepEqual(got.results.map((r) => r.index).sort((x, y) => x - y), [0, 1, 2],
    'GetJob result indices');
  assert.equal(got.last_sequence, String(lastSequence), 'last_sequence matches the stream');
  ok('GetJob: SUCCEEDED, 3 results, succeeded 3');

  // (d) An invalid request: INVALID_ARGUMENT with ErrorInfo EMPTY_BATCH and a BadRequest.
  const empty = await unaryError(citation, 'SubmitBatch', { text: '' }, meta(user));
  assert.equal(empty.code, grpc.status.INVALID_ARGUMENT, `empty batch code (${empty.message})`);
  const emptyDetails = statusDetails(empty, rpc);
  assert.equal(emptyDetails.errorInfo.reason, 'EMPTY_BATCH');
  assert.equal(emptyDetails.errorInfo.domain, DOMAIN);
  assert.ok(emptyDetails.badRequest, 'the details hold a google.rpc.BadRequest');
  assert.ok(emptyDetails.badRequest.field_violations.length >= 1, 'a field violation');
  assert.equal(emptyDetails.badRequest.field_violations[0].field, 'text');
  ok('SubmitBatch(empty text): INVALID_ARGUMENT, ErrorInfo EMPTY_BATCH/citecheck.v1, ' +
    'BadRequest field "text"');

  // (e) Another identity cannot see the job.
  const hidden = await unaryError(citation, 'GetJob', { job_id: job.job_id }, meta(stranger));
  assert.equal(hidden.code, grpc.status.NOT_FOUND, `other identity code (${hidden.message})`);
  const hiddenDetails = statusDetails(hidden, rpc);
  assert.equal(hiddenDetails.errorInfo.reason, 'JOB_NOT_FOUND');
  assert.equal(hiddenDetails.errorInfo.domain, DOMAIN);
  ok('GetJob(other identity): NOT_FOUND, ErrorInfo JOB_NOT_FOUND');

  // (e2) A whole paper: its references are checked, its in-text citations matched (never
  // charged); their events interleave in the job's one sequence.
  const paperUser = `interop-writer-${process.pid}-${Date.now()}`;
  const paper = [
    'Screen reading slows comprehension (Lee, 2019), as Park and Cho (2021) found, though',
    'others disagree (Nguyen et al., 2020) and one study is not listed (Adams, 2018).',
    '',
    'References',
    '',
    'Lee, J. (2019). Reading on screens. Journal of Reading, 12(3), 45-60.',
    '',
    'Park, S., & Cho, M. (2021). Paper versus pixels. Learning and Instruction, 70, 1-12.',
  ].join('\n');
  const doc = await unary(citation, 'SubmitBatch',
    { style: 'STYLE_APA7', document: { text: paper } }, meta(paperUser));
  assert.equal(doc.total, 2, 'a document: its references are the citations');
  assert.equal(doc.inline_total, 4, 'four in-text citations found');
  assert.equal(doc.inline_skipped, false, 'in-text citations are checked');
  const docCall = citation.WatchJob({ job_id: doc.job_id, after_sequence: '0' }, meta(paperUser),
    { deadline: new Date(Date.now() + 30_000) });
  const docStream = await readStream(docCall);
  assert.equal(docStream.status.code, grpc.status.OK, 'the document watch ends OK');
  const docEvents = docStream.events.filter((e) => e.event !== 'heartbeat');
  assert.deepEqual(docEvents.map((e) => Number(e.sequence)),
    Array.from({ length: docEvents.length }, (_, i) => i + 1), 'one gap-free sequence');
  const inline = docEvents.filter((e) => e.event === 'inline_citation')
    .map((e) => e.inline_citation);
  assert.equal(inline.length, 4, 'four inline_citation events');
  const byText = Object.fromEntries(inline.map((c) => [c.text, c]));
  assert.equal(byText['(Lee, 2019)'].match, 'MATCH_STATUS_MATCHED');
  assert.deepEqual(byText['(Lee, 2019)'].reference_indices, [0]);
  assert.equal(byText['Park and Cho (2021)'].match, 'MATCH_STATUS_MATCHED');
  assert.equal(byText['(Adams, 2018)'].match, 'MATCH_STATUS_NOT_FOUND');
  assert.equal(byText['(Nguyen et al., 2020)'].match, 'MATCH_STATUS_NOT_FOUND');
  for (const c of inline) {
    assert.equal(paper.substr(c.offset, c.text.length), c.text, `offset of ${c.text}`);
  }
  const docFinal = docEvents[docEvents.length - 1].job_update;
  assert.equal(docFinal.state, 'JOB_STATE_SUCCEEDED');
  assert.deepEqual(docFinal.uncited_references, [], 'every reference is cited');
  const account = new api.AccountService(address, creds);
  clients.push(account);
  const balance = await unary(account, 'GetBalance', {}, meta(paperUser));
  assert.equal(balance.free_used, 2, 'only the two references were charged');
  ok('SubmitBatch(document): 2 references checked, 4 in-text citations matched in one ' +
    'sequence, only the references charged');

  // (f) The standard health service.
  const serving = await unary(healthClient, 'Check', { service: 'citecheck.v1.CitationService' },
    new grpc.Metadata());
  assert.equal(serving.status, 'SERVING');
  ok('grpc.health.v1.Health/Check("citecheck.v1.CitationService"): SERVING');

  // Graceful stop.
  await stopServer();
  ok('SIGTERM: server exited with code 0');

  await checkMutualTls(binary, api);
}

async function stopServer() {
  for (const c of clients) c.close();
  clients.length = 0;
  server.kill('SIGTERM');
  const exit = await serverExit;
  assert.deepEqual(exit, { code: 0, signal: null }, 'the server exits 0 on SIGTERM');
}

// The server under mTLS: served with the CA's client certificate, refused without one and in
// plaintext.
async function checkMutualTls(binary, api) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citecheck-interop-tls-'));
  try {
    execFileSync('bash', [path.join(REPO, 'tests', 'integration', 'make_test_certs.sh'), dir],
      { stdio: 'ignore' });
    const pem = (name) => fs.readFileSync(path.join(dir, name));
    const listening = await startServer(path.resolve(binary), [
      `--tls_cert_file=${path.join(dir, 'server.pem')}`,
      `--tls_key_file=${path.join(dir, 'server.key')}`,
      `--tls_client_ca_file=${path.join(dir, 'ca.pem')}`]);
    // By name: TLS sends no server name for an IP address (RFC 6066).
    const address = listening.replace(/^127\.0\.0\.1:/, 'localhost:');
    ok(`mTLS server listening on ${listening}`);

    const mtls = grpc.credentials.createSsl(pem('ca.pem'), pem('client.key'), pem('client.pem'));
    const citation = new api.CitationService(address, mtls);
    clients.push(citation);
    const user = `interop-tls-${process.pid}`;
    const job = await unary(citation, 'SubmitBatch', { text: CITATIONS[0] }, meta(user));
    const { events, status } = await readStream(citation.WatchJob(
      { job_id: job.job_id, after_sequence: '0' }, meta(user),
      { deadline: new Date(Date.now() + 30_000) }));
    assert.equal(status.code, grpc.status.OK, 'WatchJob over mTLS ends OK');
    const lastUpdate = events.filter((e) => e.event === 'job_update').pop();
    assert.equal(lastUpdate.job_update.state, 'JOB_STATE_SUCCEEDED');
    assert.equal(events.filter((e) => e.event === 'result').length, 1, 'one result over mTLS');
    ok('mTLS: SubmitBatch and WatchJob with a client certificate from the CA, SUCCEEDED');

    for (const [what, creds] of [
      ['TLS without a client certificate', grpc.credentials.createSsl(pem('ca.pem'))],
      ['plaintext', grpc.credentials.createInsecure()],
    ]) {
      const refused = new api.CitationService(address, creds);
      clients.push(refused);
      const err = await unaryError(refused, 'GetJob', { job_id: job.job_id }, meta(user));
      assert.equal(err.code, grpc.status.UNAVAILABLE, `${what}: UNAVAILABLE (${err.message})`);
      ok(`mTLS: a ${what} client is refused (UNAVAILABLE)`);
    }
    await stopServer();
    ok('mTLS server: SIGTERM, exit code 0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const overall = setTimeout(() => fail(new Error(`overall timeout of ${OVERALL_TIMEOUT_MS} ms`)),
  OVERALL_TIMEOUT_MS);
main().then(() => {
  clearTimeout(overall);
  log(`interop: ${checks} checks passed`);
  process.exit(0);
}, fail);
