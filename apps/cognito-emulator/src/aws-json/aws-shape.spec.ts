import {
  input,
  integer,
  required,
  string,
  stringList,
  stringMap,
  structure,
  structureList,
} from './aws-shape.js';
import { CognitoIdpError } from './cognito-idp.error.js';

const Shape = input({
  UserPoolId: required(string({ min: 1, max: 55 })),
  MaxResults: integer(1, 60),
  Flows: stringList({ values: ['code', 'implicit'], maxItems: 2 }),
  Units: structure({ AccessToken: string({ values: ['hours', 'days'] }) }),
  Scopes: structureList({ ScopeName: required(string({ min: 1 })) }, 2),
  AuthParameters: stringMap(),
});

function failure(body: unknown): { type: string; message: string } {
  try {
    Shape.parse(body);
  } catch (e) {
    expect(e).toBeInstanceOf(CognitoIdpError);
    return { type: (e as CognitoIdpError).type, message: (e as CognitoIdpError).message };
  }
  throw new Error('expected a CognitoIdpError');
}

describe('input shapes', () => {
  it('reads typed members, absent ones as undefined, and ignores members the model does not name', () => {
    expect(
      Shape.parse({
        UserPoolId: 'us-east-1_X',
        Units: { AccessToken: 'days' },
        Scopes: [{ ScopeName: 'read' }],
        AuthParameters: { USERNAME: 'alice' },
        Unknown: 1,
      }),
    ).toEqual({
      UserPoolId: 'us-east-1_X',
      MaxResults: undefined,
      Flows: undefined,
      Units: { AccessToken: 'days' },
      Scopes: [{ ScopeName: 'read' }],
      AuthParameters: { USERNAME: 'alice' },
    });
  });

  it('answers a body that is not a JSON object, or a member of the wrong JSON type, with SerializationException', () => {
    expect(failure([1]).type).toBe('SerializationException');
    expect(failure({ UserPoolId: 'x', MaxResults: '10' })).toEqual({
      type: 'SerializationException',
      message: 'MaxResults must be a number',
    });
    expect(failure({ UserPoolId: 'x', AuthParameters: { PASSWORD: 1 } }).type).toBe(
      'SerializationException',
    );
  });

  it('reports every violated constraint, nested ones included, in one InvalidParameterException', () => {
    expect(
      failure({
        MaxResults: 61,
        Flows: ['code', 'token'],
        Units: { AccessToken: 'weeks' },
        Scopes: [{ ScopeName: '' }],
      }),
    ).toEqual({
      type: 'InvalidParameterException',
      message:
        '5 validation errors detected: ' +
        "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; " +
        "Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60; " +
        "Value '[code, token]' at 'flows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [code, implicit]]; " +
        "Value 'weeks' at 'accessToken' failed to satisfy constraint: Member must satisfy enum value set: [hours, days]; " +
        "Value '' at 'scopeName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
  });

  it('bounds lists of structures', () => {
    const scopes = Array.from({ length: 3 }, () => ({ ScopeName: 'x' }));
    expect(failure({ UserPoolId: 'x', Scopes: scopes }).message).toBe(
      "1 validation error detected: Value '3 items' at 'scopes' failed to satisfy constraint: Member must have length less than or equal to 2",
    );
  });

  it("leaves a sensitive member's value out of the message, as AWS does", () => {
    const Secret = input({ ClientSecret: string({ min: 24, sensitive: true }) });
    expect(() => Secret.parse({ ClientSecret: 'short-secret' })).toThrow(
      "1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length greater than or equal to 24",
    );
  });
});
