import { join } from 'node:path';
import { basic, form, freePort, send, type Reply, type TestServer } from './harness';
import { REPO_ROOT, spawnNode, whenReady, type NodeProcess } from './processes';

/**
 * `scripts/cluster.mjs` (several instances behind one proxy) started on a port picked here and
 * stopped by the test, and the HTTP side of each address in the harness's shape.
 */

export interface RunningCluster {
  process: NodeProcess;
  /** The proxy: PUBLIC_URL of every instance. */
  url: string;
  /** Each instance's own address, as the cluster printed it. */
  instances: Array<{ pid: number; url: string }>;
}

/** `scripts/cluster.mjs N` (what `npm run cluster -- N` runs after its build), not waited for. */
export function spawnCluster(n: number, env: Record<string, string>): NodeProcess {
  return spawnNode([join(REPO_ROOT, 'scripts', 'cluster.mjs'), String(n)], env);
}

/** The cluster on a free port, ready (every instance answered /readyz) when this resolves. */
export async function startCluster(
  n: number,
  env: Record<string, string>,
): Promise<RunningCluster> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = spawnCluster(n, { PORT: String(port), PUBLIC_URL: url, ...env });
  await whenReady('cluster', p, async () => (/instances behind/.test(p.output) ? true : undefined));
  const instances = [...p.output.matchAll(/cluster: instance \d+ \(pid (\d+)\) at (\S+)/g)].map(
    (m) => ({ pid: Number(m[1]), url: m[2] }),
  );
  return { process: p, url, instances };
}

/**
 * The HTTP side of one server address (an instance, or the proxy) in the harness's shape, so
 * harness helpers such as signIn can drive it. Issuers stay PUBLIC_URL's: only the address differs.
 */
export function via(
  address: string,
): Pick<TestServer, 'issuer' | 'token' | 'get' | 'json'> & { url: string } {
  const t = {
    url: address,
    issuer: (slug: string) => `${address}/t/${slug}`,
    get: (path: string, token?: string) =>
      send(`${address}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    json: (method: string, path: string, body: unknown, token?: string) =>
      send(`${address}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    token: (
      slug: string,
      params: Record<string, string | string[]>,
      auth?: { clientId: string; secret: string },
    ): Promise<Reply> =>
      send(`${address}/t/${slug}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(auth ? { authorization: basic(auth.clientId, auth.secret) } : {}),
        },
        body: form(params),
      }),
  };
  return t;
}
