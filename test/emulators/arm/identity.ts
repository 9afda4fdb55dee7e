/**
 * The identity side of the emulator:
 * - Microsoft Entra (login.microsoftonline.com shape) under an authority host:
 *   `GET /{tenant}/v2.0/.well-known/openid-configuration`, `GET /common/discovery/instance`,
 *   `GET /{tenant}/discovery/v2.0/keys`, `POST /{tenant}/oauth2/v2.0/token` (client_credentials with
 *   a client secret, a certificate-signed client assertion, or a federated assertion), answering
 *   errors with the AADSTS codes Entra uses.
 * - The Azure DevOps OIDC endpoint a pipeline job calls for workload identity federation
 *   (`POST {System.OidcRequestUri}?api-version=7.1&serviceConnectionId=...` with the job's
 *   System.AccessToken as bearer, answering `{ oidcToken }`).
 * - IMDS (`GET /metadata/identity/oauth2/token`, plain HTTP like the real 169.254.169.254).
 * Access tokens are RS256 JWTs signed by the emulator's key; the ARM endpoint checks them.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { createSelfSignedCertificate, SelfSignedCertificate } from './certificate';
import { readBody, sendJson } from './http';
import { decodeJwt, DecodedJwt, signJwt, verifyJwtSignature } from './jwt';
import { text } from '../common/json';

export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface FederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface Application {
  tenantId: string;
  clientId: string;
  objectId: string;
  displayName: string;
  secrets: string[];
  certificates: { thumbprintSha1: string; thumbprintSha256: string; publicKey: crypto.KeyObject }[];
  federatedCredentials: FederatedCredential[];
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  /** The system-assigned identity answers when IMDS gets no client_id/object_id/msi_res_id. */
  systemAssigned: boolean;
  resourceId?: string;
}

export interface ServiceConnection {
  id: string;
  name: string;
  /** The app registration the connection federates to. */
  clientId: string;
  tenantId: string;
}

export interface PipelineJob {
  accessToken: string;
  organization: string;
  projectId: string;
  projectName: string;
  planId: string;
  jobId: string;
}

export interface IssuedToken {
  at: number;
  via: 'client_secret' | 'client_certificate' | 'federated' | 'managed_identity';
  clientId: string;
  resource: string;
}

export interface TokenFailure {
  at: number;
  clientId: string;
  code: number;
  error: string;
}

export class IdentityService {
  readonly signingKey: crypto.KeyObject;
  readonly signingKeyId: string;
  /** The key Azure DevOps signs OIDC tokens with, and its issuer. */
  private readonly devopsKey: crypto.KeyObject;
  readonly organizationId = crypto.randomUUID();
  readonly applications = new Map<string, Application>();
  readonly managedIdentities: ManagedIdentity[] = [];
  readonly serviceConnections = new Map<string, ServiceConnection>();
  readonly jobs: PipelineJob[] = [];
  readonly issued: IssuedToken[] = [];
  readonly failures: TokenFailure[] = [];
  /** Lifetime of issued access tokens; short values make the clients refresh. */
  tokenLifetimeSeconds = 3600;
  oidcTokenLifetimeSeconds = 600;
  loginUrl = '';
  oidcBaseUrl = '';

  constructor() {
    const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.signingKey = pair.privateKey;
    this.signingKeyId = crypto
      .createHash('sha256')
      .update(pair.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url')
      .slice(0, 20);
    this.devopsKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }

  get devopsIssuer(): string {
    return `https://vstoken.dev.azure.com/${this.organizationId}`;
  }

  addApplication(app: { tenantId: string; clientId?: string; displayName?: string; secret?: string }): Application {
    const record: Application = {
      tenantId: app.tenantId,
      clientId: app.clientId ?? crypto.randomUUID(),
      objectId: crypto.randomUUID(),
      displayName: app.displayName ?? 'gitops-flow-emulator',
      secrets: app.secret ? [app.secret] : [],
      certificates: [],
      federatedCredentials: [],
    };
    this.applications.set(record.clientId.toLowerCase(), record);
    return record;
  }

  /** Makes a client certificate (RSA, as Entra requires) and registers its public key on the app. */
  addCertificate(clientId: string, options: { validDays?: number } = {}): SelfSignedCertificate {
    const app = this.app(clientId);
    const cert = createSelfSignedCertificate({ commonName: `${app.displayName}-client`, isCa: false, keyType: 'rsa', validDays: options.validDays });
    this.registerCertificate(clientId, cert.certPem);
    return cert;
  }

  registerCertificate(clientId: string, certPem: string): void {
    const app = this.app(clientId);
    const x509 = new crypto.X509Certificate(certPem);
    app.certificates.push({
      thumbprintSha1: crypto.createHash('sha1').update(x509.raw).digest('hex'),
      thumbprintSha256: crypto.createHash('sha256').update(x509.raw).digest('hex'),
      publicKey: x509.publicKey,
    });
  }

  /** A service connection federated to the app: registers the federated credential Azure DevOps would create. */
  addServiceConnection(options: { clientId: string; name?: string; id?: string; organization?: string; projectName?: string }): ServiceConnection {
    const app = this.app(options.clientId);
    const connection: ServiceConnection = {
      id: options.id ?? crypto.randomUUID(),
      name: options.name ?? 'azure-gitops',
      clientId: app.clientId,
      tenantId: app.tenantId,
    };
    this.serviceConnections.set(connection.id.toLowerCase(), connection);
    app.federatedCredentials.push({
      issuer: this.devopsIssuer,
      subject: `sc://${options.organization ?? 'emulator'}/${options.projectName ?? 'gitops'}/${connection.name}`,
      audiences: [FEDERATION_AUDIENCE],
    });
    return connection;
  }

  /** A running pipeline job: its System.AccessToken and System.OidcRequestUri. */
  /** A pipeline job; `accessToken` lets the job token of the Azure DevOps emulator double as System.AccessToken here. */
  addJob(options: { organization?: string; projectName?: string; accessToken?: string } = {}): PipelineJob & { oidcRequestUri: string } {
    const job: PipelineJob = {
      accessToken: options.accessToken ?? crypto.randomBytes(32).toString('base64url'),
      organization: options.organization ?? 'emulator',
      projectId: crypto.randomUUID(),
      projectName: options.projectName ?? 'gitops',
      planId: crypto.randomUUID(),
      jobId: crypto.randomUUID(),
    };
    this.jobs.push(job);
    return { ...job, oidcRequestUri: this.oidcRequestUri(job) };
  }

  oidcRequestUri(job: PipelineJob): string {
    return `${this.oidcBaseUrl}/${job.organization}/${job.projectId}/_apis/distributedtask/hubs/build/plans/${job.planId}/jobs/${job.jobId}/oidctoken`;
  }

  addManagedIdentity(options: { systemAssigned?: boolean; clientId?: string; resourceId?: string } = {}): ManagedIdentity {
    const identity: ManagedIdentity = {
      clientId: options.clientId ?? crypto.randomUUID(),
      objectId: crypto.randomUUID(),
      systemAssigned: options.systemAssigned ?? false,
      resourceId: options.resourceId,
    };
    this.managedIdentities.push(identity);
    return identity;
  }

  /** Verifies an access token the emulator issued: undefined when valid, else the ARM error. */
  checkAccessToken(token: string, allowedAudiences: string[]): { code: string; message: string } | undefined {
    const jwt = decodeJwt(token);
    if (!jwt || !verifyJwtSignature(jwt, crypto.createPublicKey(this.signingKey))) {
      return { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' };
    }
    const exp = Number(jwt.payload.exp);
    if (!(exp * 1000 > Date.now())) {
      return {
        code: 'ExpiredAuthenticationToken',
        message: `The access token expiry UTC time '${new Date(exp * 1000).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`,
      };
    }
    const aud = text(jwt.payload.aud, '');
    const norm = (s: string) => s.replace(/\/+$/, '').toLowerCase();
    if (!allowedAudiences.some((a) => norm(a) === norm(aud))) {
      return {
        code: 'InvalidAuthenticationTokenAudience',
        message: `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${allowedAudiences.map((a) => `'${a}'`).join(',')}.`,
      };
    }
    return undefined;
  }

  claimsOf(token: string): Record<string, unknown> {
    return decodeJwt(token)?.payload ?? {};
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  /** Login host (HTTPS). Returns the route name for the log. */
  async handleLogin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<string> {
    const segments = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && segments.length === 4 && segments[1] === 'v2.0' && segments[2] === '.well-known' && segments[3] === 'openid-configuration') {
      this.openIdConfiguration(res, segments[0]);
      return 'openid-configuration';
    }
    if (req.method === 'GET' && segments.length === 3 && segments[1] === '.well-known' && segments[2] === 'openid-configuration') {
      this.openIdConfiguration(res, segments[0], false);
      return 'openid-configuration';
    }
    if (req.method === 'GET' && segments.length === 2 && segments[1] === 'discovery' && url.pathname.endsWith('/discovery/instance')) {
      this.instanceDiscovery(res);
      return 'instance-discovery';
    }
    if (req.method === 'GET' && segments.length === 3 && segments[1] === 'discovery' && segments[2] === 'instance') {
      this.instanceDiscovery(res);
      return 'instance-discovery';
    }
    if (req.method === 'GET' && segments.length === 4 && segments[1] === 'discovery' && segments[3] === 'keys') {
      const jwk = crypto.createPublicKey(this.signingKey).export({ format: 'jwk' });
      sendJson(res, 200, { keys: [{ kty: 'RSA', use: 'sig', kid: this.signingKeyId, n: jwk.n, e: jwk.e }] });
      return 'jwks';
    }
    if (req.method === 'POST' && segments.length === 3 && segments[1] === 'oauth2' && segments[2] === 'token') {
      await this.token(req, res, segments[0], 'v1');
      return 'token';
    }
    if (req.method === 'POST' && segments.length === 4 && segments[1] === 'oauth2' && segments[2] === 'v2.0' && segments[3] === 'token') {
      await this.token(req, res, segments[0], 'v2');
      return 'token';
    }
    if (req.method === 'POST' && /^\/[^/]+\/[^/]+\/_apis\/distributedtask\/hubs\/[^/]+\/plans\/[^/]+\/jobs\/[^/]+\/oidctoken$/i.test(url.pathname)) {
      this.oidc(req, res, url);
      return 'oidc';
    }
    sendJson(res, 404, { error: 'not_found', error_description: `no such endpoint ${req.method} ${url.pathname}` });
    return 'unknown';
  }

  private openIdConfiguration(res: http.ServerResponse, tenant: string, v2 = true): void {
    const tenantId = this.resolveTenant(tenant);
    if (!tenantId) {
      sendJson(
        res,
        400,
        this.aadError(
          'invalid_tenant',
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        ),
      );
      return;
    }
    const base = `${this.loginUrl}/${tenant}`;
    const v = v2 ? '/v2.0' : '';
    sendJson(res, 200, {
      token_endpoint: `${base}/oauth2${v}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.loginUrl}/${tenant}/discovery${v}/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? `${this.loginUrl}/${tenantId}/v2.0` : `https://sts.windows.net/${tenantId}/`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.loginUrl}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2${v}/authorize`,
      device_authorization_endpoint: `${base}/oauth2${v}/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2${v}/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'appid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'WW',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }

  private instanceDiscovery(res: http.ServerResponse): void {
    const host = new URL(this.loginUrl).host;
    sendJson(res, 200, {
      tenant_discovery_endpoint: `${this.loginUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private resolveTenant(tenant: string): string | undefined {
    const tenants = new Set([...this.applications.values()].map((a) => a.tenantId.toLowerCase()));
    if (tenants.has(tenant.toLowerCase())) return tenant.toLowerCase();
    if (['common', 'organizations'].includes(tenant.toLowerCase())) return [...tenants][0];
    return undefined;
  }

  private aadError(error: string, code: number, description: string): Record<string, unknown> {
    const trace = crypto.randomUUID();
    const correlation = crypto.randomUUID();
    return {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${new Date().toISOString().replace('T', ' ').replace('Z', 'Z')}`,
      error_codes: [code],
      timestamp: new Date().toISOString().replace('T', ' ').replace('Z', 'Z'),
      trace_id: trace,
      correlation_id: correlation,
      error_uri: `${this.loginUrl}/error?code=${code}`,
    };
  }

  private fail(res: http.ServerResponse, status: number, clientId: string, error: string, code: number, description: string): void {
    this.failures.push({ at: Date.now(), clientId, code, error });
    sendJson(res, status, this.aadError(error, code, description));
  }

  private async token(req: http.IncomingMessage, res: http.ServerResponse, tenant: string, version: 'v1' | 'v2'): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const clientId = (form.get('client_id') ?? '').toLowerCase();
    const tenantId = this.resolveTenant(tenant);
    if (!tenantId) {
      this.fail(
        res,
        400,
        clientId,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
      return;
    }
    if (form.get('grant_type') !== 'client_credentials') {
      this.fail(res, 400, clientId, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type')}'.`);
      return;
    }
    const resource = version === 'v2' ? resourceFromScope(form.get('scope') ?? '') : (form.get('resource') ?? '');
    if (!resource) {
      this.fail(
        res,
        400,
        clientId,
        'invalid_scope',
        1002012,
        `The provided value for scope '${form.get('scope') ?? ''}' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
      return;
    }
    const app = this.applications.get(clientId);
    if (!app || app.tenantId.toLowerCase() !== tenantId) {
      this.fail(
        res,
        400,
        clientId,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.get('client_id')}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
      return;
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    let via: IssuedToken['via'];
    if (secret !== null) {
      if (!app.secrets.includes(secret)) {
        this.fail(
          res,
          401,
          clientId,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
        return;
      }
      via = 'client_secret';
    } else if (assertion !== null) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
        this.fail(res, 400, clientId, 'invalid_request', 50027, `Invalid client_assertion_type '${form.get('client_assertion_type')}'.`);
        return;
      }
      const jwt = decodeJwt(assertion);
      if (!jwt) {
        this.fail(res, 400, clientId, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
        return;
      }
      const tokenEndpoint = `${this.loginUrl}/${tenant}/oauth2/${version === 'v2' ? 'v2.0/' : ''}token`;
      const problem =
        jwt.payload.iss === app.clientId || String(jwt.payload.iss).toLowerCase() === clientId
          ? this.checkCertificateAssertion(app, jwt, tokenEndpoint)
          : this.checkFederatedAssertion(app, jwt);
      if (problem) {
        this.fail(res, 401, clientId, 'invalid_client', problem.code, problem.message);
        return;
      }
      via = jwt.payload.iss === app.clientId || String(jwt.payload.iss).toLowerCase() === clientId ? 'client_certificate' : 'federated';
    } else {
      this.fail(res, 401, clientId, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      return;
    }
    this.issue(res, { clientId: app.clientId, objectId: app.objectId, tenantId: app.tenantId, resource, via });
  }

  private checkCertificateAssertion(app: Application, jwt: DecodedJwt, tokenEndpoint: string): { code: number; message: string } | undefined {
    const x5t = typeof jwt.header.x5t === 'string' ? Buffer.from(jwt.header.x5t, 'base64url').toString('hex') : undefined;
    const x5t256 = typeof jwt.header['x5t#S256'] === 'string' ? Buffer.from(jwt.header['x5t#S256'], 'base64url').toString('hex') : undefined;
    const cert = app.certificates.find((c) => c.thumbprintSha1 === x5t || c.thumbprintSha256 === x5t256);
    if (!cert) {
      return {
        code: 700027,
        message: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${(x5t ?? x5t256 ?? '').toUpperCase()}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
      };
    }
    if (!verifyJwtSignature(jwt, cert.publicKey)) {
      return { code: 700027, message: 'Client assertion failed signature validation.' };
    }
    const aud = text(jwt.payload.aud, '');
    const norm = (s: string) => s.replace(/\/+$/, '').toLowerCase();
    if (norm(aud) !== norm(tokenEndpoint) && norm(aud) !== norm(tokenEndpoint.replace('/v2.0/', '/'))) {
      return { code: 700016, message: `Client assertion audience claim '${aud}' does not match the token endpoint '${tokenEndpoint}'.` };
    }
    if (String(jwt.payload.sub).toLowerCase() !== app.clientId.toLowerCase()) {
      return { code: 700021, message: 'Client assertion subject does not match the client id.' };
    }
    const expired = this.expired(jwt);
    return expired;
  }

  private checkFederatedAssertion(app: Application, jwt: DecodedJwt): { code: number; message: string } | undefined {
    const iss = text(jwt.payload.iss, '');
    if (iss !== this.devopsIssuer) {
      return {
        code: 700211,
        message: `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      };
    }
    if (!verifyJwtSignature(jwt, crypto.createPublicKey(this.devopsKey))) {
      return { code: 50013, message: 'Assertion failed signature validation.' };
    }
    const expired = this.expired(jwt);
    if (expired) return expired;
    const sub = text(jwt.payload.sub, '');
    const aud = Array.isArray(jwt.payload.aud) ? jwt.payload.aud.map(String) : [text(jwt.payload.aud, '')];
    const match = app.federatedCredentials.find((f) => f.issuer === iss && f.subject === sub && f.audiences.some((a) => aud.includes(a)));
    if (!match) {
      return {
        code: 70021,
        message: `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud.join(',')}'.`,
      };
    }
    return undefined;
  }

  private expired(jwt: DecodedJwt): { code: number; message: string } | undefined {
    const exp = Number(jwt.payload.exp);
    if (!(exp * 1000 > Date.now())) {
      return {
        code: 700024,
        message: `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, assertion valid from ${jwt.payload.nbf ? new Date(Number(jwt.payload.nbf) * 1000).toISOString() : '?'}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
      };
    }
    return undefined;
  }

  private accessToken(subject: { clientId: string; objectId: string; tenantId: string; resource: string }): {
    token: string;
    expiresIn: number;
    expiresOn: number;
  } {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = this.tokenLifetimeSeconds;
    const token = signJwt(
      {
        aud: subject.resource,
        iss: `https://sts.windows.net/${subject.tenantId}/`,
        iat: now,
        nbf: now - 5,
        exp: now + expiresIn,
        appid: subject.clientId,
        appidacr: '1',
        idtyp: 'app',
        oid: subject.objectId,
        sub: subject.objectId,
        tid: subject.tenantId,
        ver: '1.0',
      },
      this.signingKey,
      'RS256',
      { kid: this.signingKeyId, x5t: this.signingKeyId },
    );
    return { token, expiresIn, expiresOn: now + expiresIn };
  }

  private issue(res: http.ServerResponse, subject: { clientId: string; objectId: string; tenantId: string; resource: string; via: IssuedToken['via'] }): void {
    const { token, expiresIn } = this.accessToken(subject);
    this.issued.push({ at: Date.now(), via: subject.via, clientId: subject.clientId, resource: subject.resource });
    sendJson(res, 200, { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token });
  }

  private oidc(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const [organization, projectId, , , , , , planId, , jobId] = url.pathname.split('/').filter(Boolean);
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const job = this.jobs.find(
      (j) => j.accessToken === bearer && j.organization === organization && j.projectId === projectId && j.planId === planId && j.jobId === jobId,
    );
    if (!bearer || !this.jobs.some((j) => j.accessToken === bearer)) {
      sendJson(res, 401, devopsError('TF400813: The user is not authorized to access this resource.', 'UnauthorizedRequestException'));
      return;
    }
    if (!job) {
      sendJson(res, 404, devopsError(`Job ${jobId} of plan ${planId} was not found.`, 'TaskOrchestrationJobNotFoundException'));
      return;
    }
    if (url.searchParams.get('api-version') === null) {
      sendJson(res, 400, devopsError('No api-version was supplied for the POST request.', 'VssVersionNotSpecifiedException'));
      return;
    }
    const connectionId = url.searchParams.get('serviceConnectionId') ?? '';
    const connection = this.serviceConnections.get(connectionId.toLowerCase());
    if (!connection) {
      sendJson(
        res,
        400,
        devopsError(`Service connection '${connectionId}' was not found or the pipeline is not authorized to use it.`, 'InvalidServiceEndpointException'),
      );
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const oidcToken = signJwt(
      {
        jti: crypto.randomUUID(),
        sub: `sc://${job.organization}/${job.projectName}/${connection.name}`,
        aud: FEDERATION_AUDIENCE,
        iss: this.devopsIssuer,
        nbf: now - 5,
        iat: now,
        exp: now + this.oidcTokenLifetimeSeconds,
      },
      this.devopsKey,
    );
    sendJson(res, 200, { oidcToken });
  }

  /** IMDS on plain HTTP. */
  handleImds(req: http.IncomingMessage, res: http.ServerResponse, url: URL): string {
    if (url.pathname.replace(/\/+$/, '') !== '/metadata/identity/oauth2/token') {
      sendJson(res, 404, { error: 'not_found' });
      return 'unknown';
    }
    if (req.method !== 'GET') {
      sendJson(res, 405, { error: 'invalid_request', error_description: 'Method not allowed' });
      return 'imds';
    }
    if (String(req.headers.metadata ?? '').toLowerCase() !== 'true') {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
      return 'imds';
    }
    const resource = url.searchParams.get('resource');
    if (!url.searchParams.get('api-version') || !resource) {
      sendJson(res, 400, { error: 'invalid_request', error_description: `Required query variable '${!resource ? 'resource' : 'api-version'}' is missing` });
      return 'imds';
    }
    const clientId = url.searchParams.get('client_id');
    const objectId = url.searchParams.get('object_id') ?? url.searchParams.get('principal_id');
    const resId = url.searchParams.get('msi_res_id') ?? url.searchParams.get('mi_res_id');
    const identity = this.managedIdentities.find((m) =>
      clientId
        ? m.clientId.toLowerCase() === clientId.toLowerCase()
        : objectId
          ? m.objectId === objectId
          : resId
            ? m.resourceId?.toLowerCase() === resId.toLowerCase()
            : m.systemAssigned,
    );
    if (!identity) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
      return 'imds';
    }
    const tenantId = [...this.applications.values()][0]?.tenantId ?? crypto.randomUUID();
    const { token, expiresIn, expiresOn } = this.accessToken({ clientId: identity.clientId, objectId: identity.objectId, tenantId, resource });
    this.issued.push({ at: Date.now(), via: 'managed_identity', clientId: identity.clientId, resource });
    sendJson(res, 200, {
      access_token: token,
      client_id: identity.clientId,
      expires_in: String(expiresIn),
      expires_on: String(expiresOn),
      ext_expires_in: String(expiresIn),
      not_before: String(expiresOn - expiresIn),
      resource,
      token_type: 'Bearer',
    });
    return 'imds';
  }

  private app(clientId: string): Application {
    const app = this.applications.get(clientId.toLowerCase());
    if (!app) throw new Error(`no application ${clientId}`);
    return app;
  }
}

/** "https://host/.default" -> "https://host"; "https://host//.default" keeps the inner slash as Entra does. */
export function resourceFromScope(scope: string): string {
  const first = scope.split(' ').find((s) => s.endsWith('/.default'));
  return first ? first.slice(0, -'/.default'.length) : '';
}

function devopsError(message: string, typeKey: string): Record<string, unknown> {
  return {
    $id: '1',
    innerException: null,
    message,
    typeName: `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`,
    typeKey,
    errorCode: 0,
    eventId: 3000,
  };
}
