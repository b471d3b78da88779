import { tokenValiditySeconds, type PoolClient } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../shared/clock.js';
import { applyAccessTokenOverrides } from '../triggers/access-token-overrides.js';
import {
  type ClientCredentialsRequest,
  PreTokenGeneration,
} from '../triggers/pre-token-generation.service.js';
import { EmulatorRuntime } from './emulator-runtime.js';
import { clientCredentialsClaims, TokenSigner } from './token-signer.js';

/** A scope the client may not have was asked for (or it may have none). */
export class ScopeNotAllowedError extends Error {
  readonly code = 'invalid_scope';

  constructor(
    message: string,
    /** The client that asked: a known one, for metric labels. */
    readonly clientId: string,
  ) {
    super(message);
    this.name = 'ScopeNotAllowedError';
  }
}

/** An issued M2M access token and its lifetime in seconds. */
export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

/**
 * Issues client-credentials (M2M) access tokens, the one way for both the token endpoint and
 * GetClientToken ("It provides the same functionality as the client credentials grant from
 * the token endpoint", developer guide, "Scopes, M2M, and resource servers"): the scopes
 * granted, the pre token generation trigger's changes, the signature. Each caller has
 * checked the client and its flow, and answers the errors in its own protocol.
 */
@Injectable()
export class ClientCredentialsTokens {
  constructor(
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(EmulatorRuntime) private readonly runtime: EmulatorRuntime,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PreTokenGeneration) private readonly trigger: PreTokenGeneration,
  ) {}

  /**
   * Signs an access token for `client`: with the `scopes` it asked for (every scope it is
   * allowed when it names none), changed by the pool's trigger. Throws
   * {@link ScopeNotAllowedError}, or the trigger's `TriggerError`: no token then.
   */
  async issue(
    client: PoolClient,
    request: Omit<ClientCredentialsRequest, 'clientId' | 'scopes'> & {
      scopes: readonly string[] | undefined;
    },
  ): Promise<IssuedToken> {
    const scopes = grantedScopes(client, request.scopes);
    const now = this.clock.nowSeconds();
    const validitySeconds = tokenValiditySeconds(client, 'accessToken');
    const claims = clientCredentialsClaims({
      issuer: this.runtime.issuer,
      clientId: client.clientId,
      scopes,
      validitySeconds,
      now,
    });
    const overrides = await this.trigger.accessTokenOverrides({
      ...request,
      clientId: client.clientId,
      scopes,
    });
    const final = overrides ? applyAccessTokenOverrides(claims, overrides) : claims;
    return { accessToken: await this.signer.sign(final), expiresIn: validitySeconds };
  }
}

/** The scopes a request gets: those it names (once each), or every scope the client may have. */
function grantedScopes(client: PoolClient, requested: readonly string[] | undefined): string[] {
  const allowed = client.allowedOAuthScopes;
  if (allowed.length === 0) {
    throw new ScopeNotAllowedError('this client is allowed no scope', client.clientId);
  }
  if (requested === undefined || requested.length === 0) return [...allowed];
  const scopes = [...new Set(requested)];
  const notAllowed = scopes.filter((s) => !allowed.includes(s));
  if (notAllowed.length > 0) {
    throw new ScopeNotAllowedError(
      `scope not allowed for this client: ${notAllowed.join(' ')}`,
      client.clientId,
    );
  }
  return scopes;
}
