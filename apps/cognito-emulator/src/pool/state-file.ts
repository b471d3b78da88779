import {
  clientSecretsOf,
  ClientFieldsSchema,
  formatZodIssues,
  ISSUER_TYPES,
  ResourceServerSchema,
} from '@app/fleet-auth';
import { z } from 'zod';
import { readIfExists, writePrivateFile } from '../files/private-file.js';
import { secretDescriptors } from './secret-descriptors.js';
import type { PoolOverlay } from './pool-store.js';

/** The state file is unreadable, malformed or for another pool; the emulator refuses to overwrite it. */
export class StateFileError extends Error {
  readonly code = 'invalid_state_file';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

const OverlaySchema = z.strictObject({
  userPoolId: z.string(),
  // Absent in state files written before UpdateUserPool, or when it was never called.
  userPool: z
    .strictObject({
      userPoolName: z.string().min(1),
      deletionProtection: z.enum(['ACTIVE', 'INACTIVE']),
      allowAdminCreateUserOnly: z.boolean(),
      issuerType: z.enum(ISSUER_TYPES),
      preTokenGeneration: z
        .strictObject({
          lambdaVersion: z.enum(['V1_0', 'V2_0', 'V3_0']),
          lambdaArn: z.string().min(1),
        })
        .optional(),
      lastModifiedAt: z.number(),
    })
    .optional(),
  resourceServers: z.array(ResourceServerSchema),
  clients: z.array(
    z
      .strictObject({
        // Fields only: a client can outlive Cognito's creation rules (its resource server deleted).
        client: ClientFieldsSchema,
        meta: z.strictObject({
          createdAt: z.number(),
          lastModifiedAt: z.number(),
          // These three are absent in state files written before the emulator kept them.
          allowedOAuthFlowsUserPoolClient: z.boolean().optional(),
          secrets: z
            .array(z.strictObject({ id: z.string().min(1).max(128), createdAt: z.number() }))
            .optional(),
          describedSecretId: z.string().nullable().optional(),
        }),
      })
      .refine(
        ({ client, meta: { secrets, describedSecretId: described } }) =>
          secrets === undefined ||
          (secrets.length === clientSecretsOf(client).length &&
            new Set(secrets.map((s) => s.id)).size === secrets.length &&
            (described == null || secrets.some((s) => s.id === described))),
        {
          message: "meta.secrets must describe each of the client's secrets once",
          path: ['meta', 'secrets'],
        },
      ),
  ),
  deletedResourceServers: z.array(z.string()),
  deletedClients: z.array(z.string()),
});

/**
 * `COGNITO_EMULATOR_STATE_FILE`: what the control plane changed on top of the pool file
 * (the pool's settings, clients, their secrets and resource servers created, updated or
 * deleted through the AWS SDK), so the changes survive a restart. Holds client secrets:
 * written atomically with mode 0600.
 */
export class StateFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** The saved overlay, or undefined when the file does not exist yet. */
  async load(userPoolId: string): Promise<PoolOverlay | undefined> {
    const name = `COGNITO_EMULATOR_STATE_FILE: ${this.file}`;
    let text: string | undefined;
    try {
      text = await readIfExists(this.file);
    } catch (cause) {
      throw new StateFileError(`${name} cannot be read`, { cause });
    }
    if (text === undefined) return undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (cause) {
      throw new StateFileError(`${name} is not valid JSON`, { cause });
    }
    const parsed = OverlaySchema.safeParse(doc);
    if (!parsed.success) {
      throw new StateFileError(`${name} is invalid: ${formatZodIssues(parsed.error.issues)}`, {
        cause: parsed.error,
      });
    }
    if (parsed.data.userPoolId !== userPoolId) {
      throw new StateFileError(
        `${name} belongs to user pool ${parsed.data.userPoolId}, not ${userPoolId}`,
      );
    }
    const { clients, ...rest } = parsed.data;
    return {
      ...rest,
      clients: clients.map(({ client, meta }) => {
        const secrets =
          meta.secrets ??
          secretDescriptors(client.clientId, clientSecretsOf(client).length, meta.createdAt * 1000);
        return {
          client,
          meta: {
            ...meta,
            allowedOAuthFlowsUserPoolClient:
              meta.allowedOAuthFlowsUserPoolClient ?? client.allowedOAuthFlows.length > 0,
            secrets,
            describedSecretId:
              meta.describedSecretId === undefined
                ? (secrets[0]?.id ?? null)
                : meta.describedSecretId,
          },
        };
      }),
    };
  }

  /** Saves `overlay`; saves run one after another, so the last change is the one on disk. */
  save(overlay: PoolOverlay): Promise<void> {
    const text = `${JSON.stringify(overlay, null, 2)}\n`;
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => writePrivateFile(this.file, text));
    return this.writing;
  }
}
