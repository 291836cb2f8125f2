import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { ConnectionOptions } from '@temporalio/client';
import { usageError, unreachableError, oneLine } from './errors';

/**
 * Connection settings, following Temporal's conventions: command-line flags win over TEMPORAL_* environment
 * variables, which win over an env-config profile (TOML, loaded through @temporalio/envconfig when installed).
 */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsCaPath?: string;
  tlsServerName?: string;
  profile?: string;
}

export interface ResolvedConnection {
  address: string;
  namespace: string;
  connectionOptions: ConnectionOptions;
  /** True when neither a flag, an env var nor a profile named an address (the demo then starts its own server). */
  addressIsDefault: boolean;
}

export const DEFAULT_ADDRESS = 'localhost:7233';

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--address <host:port>', 'Temporal frontend address [env TEMPORAL_ADDRESS]')
    .option('--namespace <name>', 'Temporal namespace [env TEMPORAL_NAMESPACE]')
    .option('--api-key <key>', 'API key, e.g. for Temporal Cloud [env TEMPORAL_API_KEY]')
    .option('--tls', 'use TLS [env TEMPORAL_TLS]')
    .option('--tls-cert-path <file>', 'client certificate for mTLS [env TEMPORAL_TLS_CLIENT_CERT_PATH]')
    .option('--tls-key-path <file>', 'client key for mTLS [env TEMPORAL_TLS_CLIENT_KEY_PATH]')
    .option('--tls-ca-path <file>', 'server CA certificate [env TEMPORAL_TLS_SERVER_CA_CERT_PATH]')
    .option('--tls-server-name <name>', 'TLS server name override [env TEMPORAL_TLS_SERVER_NAME]')
    .option('--profile <name>', 'env-config profile from the Temporal TOML config [env TEMPORAL_PROFILE]');
}

function readFile(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw usageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

interface ProfileConfig { connectionOptions?: ConnectionOptions; namespace?: string }

/** The env-config profile, when @temporalio/envconfig is installed; undefined otherwise. */
function loadProfile(profile: string | undefined, env: NodeJS.ProcessEnv): ProfileConfig | undefined {
  let envconfig: { loadClientConnectConfig?: (o: unknown) => ProfileConfig } | undefined;
  try {
    // Optional dependency: resolved at run time so that the CLI works without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    envconfig = require('@temporalio/envconfig');
  } catch {
    if (profile) throw usageError(`--profile ${profile} needs the @temporalio/envconfig package (npm install @temporalio/envconfig), or set TEMPORAL_ADDRESS and friends instead`);
    return undefined;
  }
  try {
    return envconfig?.loadClientConnectConfig?.({ profile, overrideEnvVars: env as Record<string, string> });
  } catch (e) {
    throw usageError(`cannot load Temporal profile ${profile ?? 'default'}: ${oneLine((e as Error).message)}`);
  }
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const profile = loadProfile(flags.profile ?? env.TEMPORAL_PROFILE, env);
  const fromProfile = profile?.connectionOptions;
  const explicitAddress = flags.address ?? env.TEMPORAL_ADDRESS ?? fromProfile?.address;
  const address = explicitAddress ?? DEFAULT_ADDRESS;
  const namespace = flags.namespace ?? env.TEMPORAL_NAMESPACE ?? profile?.namespace ?? 'default';
  const apiKey = flags.apiKey ?? env.TEMPORAL_API_KEY ?? (typeof fromProfile?.apiKey === 'string' ? fromProfile.apiKey : undefined);

  const certPath = flags.tlsCertPath ?? env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = flags.tlsKeyPath ?? env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const caPath = flags.tlsCaPath ?? env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  const serverName = flags.tlsServerName ?? env.TEMPORAL_TLS_SERVER_NAME;
  if ((certPath && !keyPath) || (!certPath && keyPath)) {
    throw usageError('mTLS needs both --tls-cert-path and --tls-key-path (or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)');
  }
  const envTls = env.TEMPORAL_TLS === undefined ? undefined : /^(1|true|yes)$/i.test(env.TEMPORAL_TLS);
  // An API key implies TLS, as in Temporal's own clients.
  const wantTls = flags.tls ?? envTls ?? Boolean(certPath || caPath || serverName || apiKey);

  let tls: ConnectionOptions['tls'] = fromProfile?.tls;
  if (wantTls || certPath || caPath) {
    tls = {
      ...(serverName ? { serverNameOverride: serverName } : {}),
      ...(caPath ? { serverRootCACertificate: readFile('TLS CA certificate', caPath) } : {}),
      ...(certPath && keyPath ? { clientCertPair: { crt: readFile('TLS client certificate', certPath), key: readFile('TLS client key', keyPath) } } : {}),
    };
  }
  return {
    address,
    namespace,
    addressIsDefault: explicitAddress === undefined,
    connectionOptions: {
      ...fromProfile,
      address,
      ...(tls ? { tls } : {}),
      ...(apiKey ? { apiKey } : {}),
      connectTimeout: '5s',
    },
  };
}

/** What a worker process needs to reach the same server as the CLI's client: address, namespace, TLS, API key. */
export function workerConnection(resolved: ResolvedConnection): { address: string; namespace: string; connectionOptions: ConnectionOptions } {
  return { address: resolved.address, namespace: resolved.namespace, connectionOptions: resolved.connectionOptions };
}

/** Connect and return a client; an unreachable server is exit code 4 with one line naming the address. */
export async function connectClient(resolved: ResolvedConnection) {
  const { Connection, Client } = await import('@temporalio/client');
  let connection;
  try {
    connection = await Connection.connect(resolved.connectionOptions);
  } catch (e) {
    throw unreachableError(`cannot reach the Temporal server at ${resolved.address}: ${oneLine((e as Error).message)} (start one with \`prefloop server\`, or set TEMPORAL_ADDRESS)`);
  }
  const { prefloopDataConverter } = await import('../workers/data-converter');
  // The same converter as the workers, so payload limits are enforced where a payload is made.
  return { client: new Client({ connection, namespace: resolved.namespace, dataConverter: prefloopDataConverter() }), connection };
}
