import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolveCloud } from '../../../shared/azure/clouds';
import { createAzureCredential } from '../../../shared/azure/credential';
import { createSelfSignedCertificate, der } from '../../emulators/arm/certificate';
import { decodeJwt, signJwt, verifyJwtSignature } from '../../emulators/arm/jwt';

describe('resolveCloud', () => {
  it('knows the three Azure clouds', () => {
    assert.deepEqual(resolveCloud({ environment: 'AzureCloud' }), {
      name: 'AzureCloud',
      armUrl: 'https://management.azure.com',
      authorityHost: 'https://login.microsoftonline.com',
      scope: 'https://management.azure.com/.default',
      knownAuthority: true,
    });
    assert.equal(resolveCloud({ environment: 'azureusgovernment' }).authorityHost, 'https://login.microsoftonline.us');
    assert.equal(resolveCloud({ environment: 'AzureChinaCloud' }).armUrl, 'https://management.chinacloudapi.cn');
    assert.equal(resolveCloud({}).name, 'AzureCloud');
  });

  it("uses the connection's own URLs and audience, and turns instance discovery off for unknown authorities", () => {
    const c = resolveCloud({
      environment: 'AzureStack',
      url: 'https://management.local.azurestack.external/',
      activeDirectoryAuthority: 'https://login.local/',
      resourceId: 'https://management.adfs.azurestack.local/abc/',
    });
    assert.deepEqual(c, {
      name: 'AzureStack',
      armUrl: 'https://management.local.azurestack.external',
      authorityHost: 'https://login.local',
      scope: 'https://management.adfs.azurestack.local/abc/.default',
      knownAuthority: false,
    });
    assert.throws(() => resolveCloud({ environment: 'AzureStack' }), /not one of AzureCloud, AzureUSGovernment, AzureChinaCloud/);
    assert.throws(() => resolveCloud({ url: 'http://management.azure.com' }), /must be an https URL/);
  });
});

describe('createAzureCredential (without network)', () => {
  const base = { id: 'sc-1', data: { subscriptionId: 'sub-1', environment: 'AzureCloud' } };

  it('maps each scheme to its flow and lists the secrets to mask', () => {
    const wif = createAzureCredential(
      { ...base, scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 't', serviceprincipalid: 'c' } },
      { oidcRequestUri: 'https://dev.azure.com/o/p/_apis/x/oidctoken', accessToken: 'tok' },
    );
    assert.deepEqual([wif.flow, wif.tenantId, wif.clientId, wif.subscriptionId, wif.secrets], ['WorkloadIdentityFederation', 't', 'c', 'sub-1', []]);
    const late = createAzureCredential({
      ...base,
      scheme: 'workloadidentityfederation',
      parameters: { tenantid: 't', serviceprincipalid: 'c', idToken: 'late.bound.token' },
    });
    assert.deepEqual(late.secrets, ['late.bound.token']);
    const spn = createAzureCredential({
      ...base,
      scheme: 'ServicePrincipal',
      parameters: { tenantid: 't', serviceprincipalid: 'c', serviceprincipalkey: 's3cret' },
    });
    assert.deepEqual([spn.flow, spn.secrets], ['ServicePrincipalSecret', ['s3cret']]);
    const msi = createAzureCredential({ ...base, scheme: 'ManagedServiceIdentity', parameters: {}, data: { ...base.data, msiclientId: 'mi-1' } });
    assert.deepEqual([msi.flow, msi.clientId, msi.secrets], ['ManagedIdentity', 'mi-1', []]);
  });

  it('says what is missing or unsupported', () => {
    assert.throws(() => createAzureCredential({ ...base, scheme: 'ServicePrincipal', parameters: { tenantid: 't' } }), /has no "serviceprincipalid"/);
    assert.throws(
      () =>
        createAzureCredential({
          ...base,
          scheme: 'ServicePrincipal',
          parameters: { tenantid: 't', serviceprincipalid: 'c', authenticationType: 'spnCertificate', servicePrincipalCertificate: 'not a pem' },
        }),
      /PEM with the certificate and its private key/,
    );
    assert.throws(
      () => createAzureCredential({ ...base, scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 't', serviceprincipalid: 'c' } }),
      /System.OidcRequestUri and System.AccessToken are not available/,
    );
    assert.throws(() => createAzureCredential({ ...base, scheme: 'PublishProfile', parameters: {} }), /publish-profile/);
    assert.throws(() => createAzureCredential({ ...base, scheme: 'UsernamePassword', parameters: {} }), /"UsernamePassword" is not supported/);
  });
});

describe('emulator certificates and JWTs', () => {
  it('DER integers and OIDs encode as X.690 says', () => {
    assert.deepEqual(der.smallInteger(0), Buffer.from([2, 1, 0]));
    assert.deepEqual(der.smallInteger(128), Buffer.from([2, 2, 0, 128]));
    assert.deepEqual(der.oid('1.2.840.113549.1.1.11'), Buffer.from('06092a864886f70d01010b', 'hex'));
    assert.deepEqual(der.oid('2.5.29.17'), Buffer.from('0603551d11', 'hex'));
    assert.deepEqual(der.time(new Date('2049-12-31T23:59:59Z')), Buffer.concat([Buffer.from([0x17, 13]), Buffer.from('491231235959Z')]));
    assert.deepEqual(der.time(new Date('2050-01-01T00:00:00Z')), Buffer.concat([Buffer.from([0x18, 15]), Buffer.from('20500101000000Z')]));
  });

  for (const keyType of ['rsa', 'ec'] as const) {
    it(`a ${keyType} certificate parses, verifies, names its addresses and serves TLS`, async () => {
      const cert = createSelfSignedCertificate({ commonName: 'emu', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], keyType });
      const x = new crypto.X509Certificate(cert.certPem);
      assert.equal(x.subject, 'CN=emu');
      assert.ok(x.verify(cert.publicKey));
      assert.equal(x.ca, true);
      assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
      assert.equal(x.checkIP('::1'), '::1');
      assert.equal(x.checkHost('localhost'), 'localhost');
      assert.equal(x.fingerprint256.replace(/:/g, '').toLowerCase(), cert.thumbprintSha256);
      const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_q, r) => r.end('ok'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const body = await new Promise<string>((resolve, reject) => {
          https
            .get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: cert.certPem }, (res) => {
              let b = '';
              res.on('data', (d) => (b += d));
              res.on('end', () => resolve(b));
            })
            .on('error', reject);
        });
        assert.equal(body, 'ok');
      } finally {
        server.close();
      }
    });
  }

  it("a certificate a test CA signs: the CA's name as issuer, its key's signature, trusted through the CA alone (a wildcard name)", async () => {
    const ca = createSelfSignedCertificate({ commonName: 'Test CA', organization: 'Tests', keyType: 'ec' });
    const leaf = createSelfSignedCertificate({
      commonName: '*.azurecr.io',
      dnsNames: ['*.azurecr.io'],
      isCa: false,
      issuer: { commonName: 'Test CA', organization: 'Tests', privateKey: ca.privateKey },
    });
    const x = new crypto.X509Certificate(leaf.certPem);
    assert.equal(x.issuer, 'O=Tests\nCN=Test CA');
    assert.equal(x.subject, 'CN=*.azurecr.io');
    assert.equal(x.ca, false);
    assert.ok(x.checkIssued(new crypto.X509Certificate(ca.certPem)));
    assert.ok(x.verify(ca.publicKey));
    assert.ok(!x.verify(leaf.publicKey));
    assert.equal(x.checkHost('contoso.azurecr.io'), '*.azurecr.io');
    assert.equal(x.checkHost('azurecr.io'), undefined);
    const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_q, r) => r.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const get = (ca: string) =>
        new Promise<string>((resolve, reject) => {
          https
            .get(
              {
                host: '127.0.0.1',
                servername: 'contoso.azurecr.io',
                port: (server.address() as AddressInfo).port,
                ca,
                headers: { host: 'contoso.azurecr.io' },
              },
              (res) => {
                let b = '';
                res.on('data', (d) => (b += d));
                res.on('end', () => resolve(b));
              },
            )
            .on('error', reject);
        });
      assert.equal(await get(ca.certPem), 'ok');
      await assert.rejects(get(createSelfSignedCertificate({ commonName: 'Other CA', keyType: 'ec' }).certPem), /unable to verify|self.signed|certificate/i);
    } finally {
      server.close();
    }
  });

  it('signs and verifies RS256, PS256 and ES256; a changed payload or another key fails', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const [alg, pair] of [
      ['RS256', rsa],
      ['PS256', rsa],
      ['ES256', ec],
    ] as const) {
      const token = signJwt({ sub: 'x' }, pair.privateKey, alg);
      const jwt = decodeJwt(token)!;
      assert.equal(jwt.header.alg, alg);
      assert.ok(verifyJwtSignature(jwt, pair.publicKey), alg);
      const [h, , s] = token.split('.');
      assert.ok(!verifyJwtSignature(decodeJwt(`${h}.${Buffer.from('{"sub":"y"}').toString('base64url')}.${s}`)!, pair.publicKey));
    }
    assert.ok(!verifyJwtSignature(decodeJwt(signJwt({}, rsa.privateKey))!, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey));
    assert.equal(decodeJwt('not-a-jwt'), undefined);
  });
});
