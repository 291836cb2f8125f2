/**
 * `prefloop worker` and `prefloop demo` hand the worker the connection the CLI resolved (TLS, API key), not just an
 * address. Unit tests of the plumbing: flags -> resolveConnection -> workerConnection -> the worker's native
 * connection options; then createPrefloopWorkers against a plain TCP listener, which sees the TLS ClientHello
 * (with the server name) that only a TLS connection sends. No TLS server is needed.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConnection, workerConnection } from '../../cli/connection';
import { createPrefloopWorkers, nativeConnectionOptions } from '../../workers/run';
import type { StepFunctions } from '../../activities/step-functions';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-worker-conn-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the resolved TLS files, server name and API key reach the worker connection options', () => {
  fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA');
  fs.writeFileSync(path.join(dir, 'c.pem'), 'CERT');
  fs.writeFileSync(path.join(dir, 'k.pem'), 'KEY');
  const resolved = resolveConnection({
    address: 'cloud.example:7233', namespace: 'ns1', apiKey: 'secret', tlsCaPath: path.join(dir, 'ca.pem'),
    tlsCertPath: path.join(dir, 'c.pem'), tlsKeyPath: path.join(dir, 'k.pem'), tlsServerName: 'tmprl.example',
  }, {});
  const settings = workerConnection(resolved);
  expect(settings).toMatchObject({ address: 'cloud.example:7233', namespace: 'ns1' });
  const native = nativeConnectionOptions(settings);
  expect(Object.keys(native).sort()).toEqual(['address', 'apiKey', 'tls']);
  const tls = native.tls as { serverNameOverride: string; serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
  expect({
    address: native.address, apiKey: native.apiKey, name: tls.serverNameOverride, ca: tls.serverRootCACertificate.toString(),
    crt: tls.clientCertPair.crt.toString(), key: tls.clientCertPair.key.toString(),
  }).toEqual({ address: 'cloud.example:7233', apiKey: 'secret', name: 'tmprl.example', ca: 'CA', crt: 'CERT', key: 'KEY' });
});

test('plain settings stay plain; a key function is read once; call credentials are refused by name', () => {
  expect(nativeConnectionOptions(workerConnection(resolveConnection({ address: 'h:1' }, {})))).toEqual({ address: 'h:1' });
  expect(nativeConnectionOptions({ address: 'h:1', connectionOptions: { apiKey: () => 'k2', metadata: { team: 'x' } } }))
    .toEqual({ address: 'h:1', apiKey: 'k2', metadata: { team: 'x' } });
  expect(() => nativeConnectionOptions({ address: 'h:1', connectionOptions: { callCredentials: [{}] as never } })).toThrow(/callCredentials/);
});

/** The first bytes a client sends to a TCP listener that never answers. */
async function firstBytes(connect: (address: string) => Promise<unknown>): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const server = net.createServer((socket) => {
    socket.on('data', (d) => {
      received = Buffer.concat([received, d]);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await connect(`127.0.0.1:${port}`).catch(() => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return received;
}

test('createPrefloopWorkers connects with TLS when the CLI resolved TLS (the listener sees a ClientHello naming the server)', async () => {
  // Steps are never called: the connection fails before any worker polls.
  const steps = {} as StepFunctions;
  const settings = (address: string, flags: Parameters<typeof resolveConnection>[0]) =>
    ({ ...workerConnection(resolveConnection({ address, ...flags }, {})), storeRoot: dir, steps, serve: ['inference' as const] });

  const tls = await firstBytes((address) => createPrefloopWorkers(settings(address, { apiKey: 'k', tlsServerName: 'prefloop-sni.example' })));
  expect(tls[0]).toBe(0x16); // TLS handshake record
  expect(tls.includes(Buffer.from('prefloop-sni.example'))).toBe(true);

  const plain = await firstBytes((address) => createPrefloopWorkers(settings(address, {})));
  expect(plain.subarray(0, 3).toString()).toBe('PRI'); // HTTP/2 preface, in the clear
});
