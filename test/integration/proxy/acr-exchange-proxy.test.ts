/**
 * ACR's token exchange through a web proxy, as on an agent behind a corporate proxy: the exchange
 * runs in a child Node process (it trusts the test CA through NODE_EXTRA_CA_CERTS, as a task on an
 * agent whose proxy inspects TLS does) and reaches https://contoso.azurecr.io/oauth2/exchange only
 * through the test's CONNECT proxy, which terminates TLS for *.azurecr.io and forwards to the
 * exchange double. Once with the agent's proxy (Agent.ProxyUrl, user and password), once with
 * HTTPS_PROXY alone, once with the wrong proxy password.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { ProxyConfiguration } from '../../../shared/util/proxy-settings';
import { azurecrCertificates, ConnectProxy, startConnectProxy } from '../../harness/connect-proxy';
import { ACR_REFRESH_TOKEN, AcrExchangeDouble, startAcrExchange } from '../../harness/oci-registry';

const registryAuth = path.join(__dirname, '../../../shared/render/registry-auth.js');
const PROXY_USER = { username: 'build-agent', password: 'Pr0xy p@ss:w/rd' };
const AAD_TOKEN = 'aad-token-for-the-exchange';

describe('ACR token exchange through a web proxy (CONNECT, TLS terminated for *.azurecr.io)', function () {
  this.timeout(60_000);
  let dir: string;
  let caFile: string;
  let exchange: AcrExchangeDouble;
  let proxy: ConnectProxy;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acr-proxy-'));
    const certs = azurecrCertificates();
    caFile = path.join(dir, 'ca.pem');
    fs.writeFileSync(caFile, certs.caPem);
    exchange = await startAcrExchange(AAD_TOKEN);
    const local = new URL(exchange.endpoint).origin;
    proxy = await startConnectProxy({
      auth: PROXY_USER,
      intercept: {
        hosts: (h) => h.endsWith('.azurecr.io'),
        certPem: certs.certPem,
        keyPem: certs.keyPem,
        route: (p) => (p.startsWith('/oauth2/') ? local : undefined),
      },
    });
  });
  after(async () => {
    await proxy?.stop();
    await exchange?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    proxy.connects.length = 0;
    proxy.requests.length = 0;
    exchange.requests.length = 0;
  });

  /** exchangeAcrRefreshToken in a child process with `env` (no proxy variables of this machine); its credential or its error. */
  async function exchangeInChild(agentProxy: ProxyConfiguration | undefined, env: Record<string, string>): Promise<{ password?: string; error?: string }> {
    const script = `
require(${JSON.stringify(registryAuth)})
  .exchangeAcrRefreshToken({ registry: 'contoso.azurecr.io', aadAccessToken: ${JSON.stringify(AAD_TOKEN)}, tenantId: 'tenant-1', proxy: ${JSON.stringify(agentProxy)} })
  .then((c) => process.stdout.write(JSON.stringify({ password: c.password })), (e) => process.stdout.write(JSON.stringify({ error: e.message })));`;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no|all)_proxy$/i.test(k)));
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...clean, NODE_EXTRA_CA_CERTS: caFile, ...env } });
    return JSON.parse(stdout) as { password?: string; error?: string };
  }

  const agentProxy = (password: string): ProxyConfiguration => ({ url: proxy.url, username: PROXY_USER.username, password, bypass: ['dev\\.azure\\.com'] });

  it("with the agent's proxy: one CONNECT to contoso.azurecr.io:443 with the proxy credentials, one exchange", async () => {
    const result = await exchangeInChild(agentProxy(PROXY_USER.password), {});
    assert.deepEqual(result, { password: ACR_REFRESH_TOKEN });
    assert.deepEqual(proxy.connects, [{ target: 'contoso.azurecr.io:443', authorized: true }]);
    assert.deepEqual(
      proxy.requests.map((r) => [r.method, r.host, r.path, r.status]),
      [['POST', 'contoso.azurecr.io', '/oauth2/exchange', 200]],
    );
    assert.deepEqual(
      exchange.requests.map((r) => Object.fromEntries(r)),
      [{ grant_type: 'access_token', service: 'contoso.azurecr.io', access_token: AAD_TOKEN, tenant: 'tenant-1' }],
    );
  });

  it('without an agent proxy, HTTPS_PROXY (credentials in the URL) is honoured as the Azure SDK honours it', async () => {
    const url = new URL(proxy.url);
    url.username = encodeURIComponent(PROXY_USER.username);
    url.password = encodeURIComponent(PROXY_USER.password);
    const result = await exchangeInChild(undefined, { HTTPS_PROXY: url.toString() });
    assert.deepEqual(result, { password: ACR_REFRESH_TOKEN });
    assert.deepEqual(proxy.connects, [{ target: 'contoso.azurecr.io:443', authorized: true }]);
    assert.equal(exchange.requests.length, 1);
  });

  it('a proxy that refuses the credentials: HTTP 407 named, nothing reaches the exchange', async () => {
    const result = await exchangeInChild(agentProxy('not-the-password'), {});
    assert.deepEqual(result, {
      error:
        "Azure Container Registry contoso.azurecr.io: the token exchange was refused with HTTP 407 by the proxy (check the agent's proxy user name and password)",
    });
    assert.deepEqual(proxy.connects, [{ target: 'contoso.azurecr.io:443', authorized: false }]);
    assert.deepEqual(exchange.requests, []);
  });
});
