import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConnection } from '../../cli/connection';

/** Unit test of one function: how flags and TEMPORAL_* variables become connection options. */
describe('resolveConnection', () => {
  it('defaults to localhost:7233 / default and marks the address as defaulted (the demo then starts its own server)', () => {
    const c = resolveConnection({}, {});
    expect(c).toMatchObject({ address: 'localhost:7233', namespace: 'default', addressIsDefault: true });
    expect(c.connectionOptions.tls).toBeUndefined();
  });

  it('reads TEMPORAL_* variables; flags win over them; an API key implies TLS', () => {
    const env = { TEMPORAL_ADDRESS: 'env:7233', TEMPORAL_NAMESPACE: 'ns-env', TEMPORAL_API_KEY: 'k1' };
    const fromEnv = resolveConnection({}, env);
    expect(fromEnv).toMatchObject({ address: 'env:7233', namespace: 'ns-env', addressIsDefault: false, connectionOptions: { apiKey: 'k1', tls: {} } });
    const fromFlags = resolveConnection({ address: 'flag:7233', namespace: 'ns-flag' }, env);
    expect(fromFlags).toMatchObject({ address: 'flag:7233', namespace: 'ns-flag' });
    expect(resolveConnection({}, { ...env, TEMPORAL_TLS: 'false' }).connectionOptions.tls).toBeUndefined();
  });

  it('loads mTLS files and refuses half a key pair or an unreadable file, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-tls-'));
    fs.writeFileSync(path.join(dir, 'c.pem'), 'CERT');
    fs.writeFileSync(path.join(dir, 'k.pem'), 'KEY');
    const c = resolveConnection({}, { TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'c.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'k.pem'), TEMPORAL_TLS_SERVER_NAME: 'tmprl' });
    const tls = c.connectionOptions.tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverNameOverride: string };
    expect({ crt: tls.clientCertPair.crt.toString(), key: tls.clientCertPair.key.toString(), name: tls.serverNameOverride }).toEqual({ crt: 'CERT', key: 'KEY', name: 'tmprl' });
    expect(() => resolveConnection({ tlsCertPath: path.join(dir, 'c.pem') }, {})).toThrow(/needs both --tls-cert-path and --tls-key-path/);
    expect(() => resolveConnection({ tlsCaPath: path.join(dir, 'missing.pem') }, {})).toThrow(/cannot read TLS CA certificate .*missing\.pem/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the missing package when a profile is asked for without @temporalio/envconfig', () => {
    let installed = true;
    try {
      require.resolve('@temporalio/envconfig');
    } catch {
      installed = false;
    }
    if (installed) {
      expect(() => resolveConnection({ profile: 'no-such-profile' }, { TEMPORAL_CONFIG_FILE: '/nonexistent.toml' })).toThrow(/profile/);
    } else {
      expect(() => resolveConnection({ profile: 'prod' }, {})).toThrow(/--profile prod needs the @temporalio\/envconfig package/);
    }
  });
});
