import * as assert from 'node:assert/strict';
import {
  bypassesProxy,
  childProxyEnvironment,
  noProxyEntry,
  ProxyConfiguration,
  proxySecrets,
  proxyUrlWithCredentials,
  readProxyConfiguration,
  sdkProxyOptions,
} from '../../../shared/util/proxy-settings';

const PROXY: ProxyConfiguration = {
  url: 'http://proxy.contoso.com:8080',
  username: 'CONTOSO\\build',
  password: 'p@ss:w/rd 1',
  bypass: ['dev\\.azure\\.com', '.*\\.internal\\.contoso\\.com', 'https://login\\.microsoftonline\\.com', '(vault|kv)[0-9]+\\.example$'],
};

describe('proxy settings: the agent proxy for the SDK, the children and one request', () => {
  it('reads the agent variables as task-lib does: no URL no proxy, credentials apart from the URL, the bypass list as JSON', () => {
    const vars = (v: Record<string, string>) => (name: string) => v[name];
    assert.equal(readProxyConfiguration(vars({})), undefined);
    assert.equal(readProxyConfiguration(vars({ 'Agent.ProxyUrl': '  ' })), undefined);
    assert.deepEqual(
      readProxyConfiguration(
        vars({
          'Agent.ProxyUrl': 'http://someone:inline@proxy.contoso.com:8080/',
          'Agent.ProxyUsername': 'build',
          'Agent.ProxyPassword': 'pw',
          'Agent.ProxyBypassList': '["dev\\\\.azure\\\\.com"]',
        }),
      ),
      { url: 'http://proxy.contoso.com:8080', username: 'build', password: 'pw', bypass: ['dev\\.azure\\.com'] },
    );
    assert.deepEqual(readProxyConfiguration(vars({ 'Agent.ProxyUrl': 'http://proxy:3128' })), { url: 'http://proxy:3128', bypass: [] });
    assert.throws(
      () => readProxyConfiguration(vars({ 'Agent.ProxyUrl': 'http://proxy:3128', 'Agent.ProxyBypassList': '{"a":1}' })),
      /^Error: Agent\.ProxyBypassList is not a JSON array of regular expressions$/,
    );
    for (const bad of ['user:secret@proxy:8080', 'proxy.contoso.com:8080', 'socks5://proxy:1080'])
      assert.throws(() => readProxyConfiguration(vars({ 'Agent.ProxyUrl': bad })), /^Error: Agent\.ProxyUrl is not an http:\/\/ or https:\/\/ URL$/, bad);
  });

  it('bypasses loopback and what matches scheme://host[:port] as the agent matches it; an invalid pattern matches nothing', () => {
    const cases: [string, boolean][] = [
      ['https://dev.azure.com/org/_apis', true],
      ['https://build.internal.contoso.com/x', true],
      ['https://login.microsoftonline.com/tenant/oauth2/v2.0/token', true],
      ['http://login.microsoftonline.com/', false],
      ['https://vault12.example/', true],
      ['https://vault12.example:8443/', false],
      ['https://contoso.azurecr.io/oauth2/exchange', false],
      ['https://management.azure.com/', false],
      ['http://127.0.0.1:5000/v2/', true],
      ['https://localhost/', true],
      ['https://[::1]:8443/', true],
    ];
    assert.deepEqual(
      cases.map(([url]) => [url, bypassesProxy(PROXY, url)]),
      cases,
    );
    assert.equal(bypassesProxy({ ...PROXY, bypass: ['(unclosed'] }, 'https://contoso.azurecr.io/'), false);
  });

  it("gives the SDK's proxyOptions per endpoint: none without an agent proxy (the SDK reads HTTPS_PROXY) or for a bypassed endpoint", () => {
    assert.equal(sdkProxyOptions(undefined, 'https://login.microsoftonline.com/'), undefined);
    assert.equal(sdkProxyOptions(PROXY, 'https://login.microsoftonline.com/'), undefined);
    assert.deepEqual(sdkProxyOptions(PROXY, 'https://management.azure.com/'), {
      host: 'http://proxy.contoso.com',
      port: 8080,
      username: 'CONTOSO\\build',
      password: 'p@ss:w/rd 1',
    });
    assert.deepEqual(sdkProxyOptions({ url: 'https://secure-proxy', bypass: [] }, 'https://management.azure.com/'), {
      host: 'https://secure-proxy',
      port: 443,
    });
    assert.deepEqual(sdkProxyOptions({ url: 'http://proxy', bypass: [] }, 'https://management.azure.com/'), { host: 'http://proxy', port: 80 });
  });

  it('turns host-like bypass entries into NO_PROXY entries and leaves other expressions out', () => {
    assert.deepEqual(
      [
        'dev\\.azure\\.com',
        '.*\\.internal\\.contoso\\.com',
        '.*contoso\\.net',
        'https://login\\.microsoftonline\\.com',
        'https?://artifacts\\.contoso\\.com$',
        '^10\\.1\\.2\\.3:8443$',
        '(vault|kv)[0-9]+\\.example$',
        '.*',
        '',
      ].map(noProxyEntry),
      [
        'dev.azure.com',
        '.internal.contoso.com',
        'contoso.net',
        'login.microsoftonline.com',
        'artifacts.contoso.com',
        '10.1.2.3:8443',
        undefined,
        undefined,
        undefined,
      ],
    );
  });

  it("builds the children's environment: proxy URL with URL-encoded credentials in both spellings, NO_PROXY with loopback, the job's own and the bypass list", () => {
    assert.deepEqual(childProxyEnvironment(undefined, { HTTPS_PROXY: 'http://other:1' }), { env: {}, untranslated: [] });
    const url = 'http://CONTOSO%5Cbuild:p%40ss%3Aw%2Frd%201@proxy.contoso.com:8080';
    const noProxy = 'localhost,127.0.0.1,::1,.corp.example,dev.azure.com,.internal.contoso.com,login.microsoftonline.com';
    assert.deepEqual(childProxyEnvironment(PROXY, { no_proxy: '.corp.example, localhost', HTTPS_PROXY: 'http://other:1' }), {
      env: { HTTPS_PROXY: url, https_proxy: url, HTTP_PROXY: url, http_proxy: url, NO_PROXY: noProxy, no_proxy: noProxy },
      untranslated: ['(vault|kv)[0-9]+\\.example$'],
    });
    assert.equal(proxyUrlWithCredentials({ url: 'http://proxy:3128', bypass: [] }), 'http://proxy:3128');
  });

  it('names every form of the password a log could show: raw and URL-encoded', () => {
    assert.deepEqual(proxySecrets(PROXY), ['p@ss:w/rd 1', 'p%40ss%3Aw%2Frd%201']);
    assert.deepEqual(proxySecrets({ ...PROXY, password: 'plain-Secret_1' }), ['plain-Secret_1']);
    assert.deepEqual(proxySecrets({ url: 'http://p', bypass: [] }), []);
    assert.deepEqual(proxySecrets(undefined), []);
  });
});
