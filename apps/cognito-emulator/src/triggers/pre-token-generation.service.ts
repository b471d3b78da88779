import { userPoolRegion } from '@app/fleet-auth';
import { Inject, Injectable } from '@nestjs/common';
import { PoolStore } from '../pool/pool-store.js';
import { type AccessTokenOverrides, accessTokenOverridesOf } from './access-token-overrides.js';
import { invokeTrigger, type PreTokenTrigger } from './pre-token-trigger.js';

/** The trigger modules `startEmulator` imported from the pool file before Nest started. */
export class TriggerModules {
  constructor(readonly preTokenGeneration: PreTokenTrigger | undefined) {}
}

/** What Cognito knows of a client-credentials token request when it calls the trigger. */
export interface ClientCredentialsRequest {
  clientId: string;
  /** The scopes granted before the trigger runs (the requested ones, or all allowed). */
  scopes: readonly string[];
  /** `aws_client_metadata` (token endpoint) or `ClientMetadata` (GetClientToken); `{}` without. */
  clientMetadata: Readonly<Record<string, string>>;
  /** `aws-sdk-<language>-<version>` of the caller, `aws-sdk-unknown-unknown` when unknown. */
  awsSdkVersion: string;
}

/**
 * The pool's pre token generation trigger for client-credentials tokens, from both the token
 * endpoint and GetClientToken: it runs when the pool's `LambdaConfig` names the pool file's
 * module with `LambdaVersion` `V3_0` (V1 and V2 events never reach M2M tokens), with the V3
 * event of the developer guide's "Pre token generation Lambda trigger" page for
 * `TokenGeneration_ClientCredentials`.
 */
@Injectable()
export class PreTokenGeneration {
  constructor(
    @Inject(PoolStore) private readonly pool: PoolStore,
    @Inject(TriggerModules) private readonly modules: TriggerModules,
  ) {}

  /** The trigger's changes to the access token; undefined when no V3 trigger is attached. */
  async accessTokenOverrides(
    request: ClientCredentialsRequest,
  ): Promise<AccessTokenOverrides | undefined> {
    const attached = this.pool.settings.preTokenGeneration;
    const trigger = this.modules.preTokenGeneration;
    if (attached?.lambdaVersion !== 'V3_0' || attached.lambdaArn !== trigger?.arn) {
      return undefined;
    }
    const { userPoolId } = this.pool;
    const event = {
      version: '3',
      triggerSource: 'TokenGeneration_ClientCredentials',
      region: userPoolRegion(userPoolId),
      userPoolId,
      callerContext: { awsSdkVersion: request.awsSdkVersion, clientId: request.clientId },
      request: { scopes: [...request.scopes], clientMetadata: { ...request.clientMetadata } },
      response: { claimsAndScopeOverrideDetails: null },
    };
    return accessTokenOverridesOf(await invokeTrigger(trigger, event));
  }
}
