import { operation } from './aws-json/aws-operation.js';
import { ControlPlaneInputs as cp } from './control-plane/control-plane.inputs.js';
import { ControlPlaneService } from './control-plane/control-plane.service.js';
import { GetClientTokenInput, GetClientTokenService } from './idp/get-client-token.service.js';
import { InitiateAuthInput, InitiateAuthService } from './idp/initiate-auth.service.js';

/**
 * Every operation `POST /` answers, declared once: its name (the `X-Amz-Target` suffix), its
 * plane (`control` only with COGNITO_EMULATOR_ADMIN=true), whether a success is saved to the
 * state file, whether it counts against the token quota, its input shape, and the service
 * method that answers it. A new operation is a line here and a method on its service (a Nest
 * provider of `AppModule`).
 */
export const AWS_OPERATION_REGISTRY = {
  InitiateAuth: operation({
    plane: 'data',
    persists: false,
    input: InitiateAuthInput,
    service: InitiateAuthService,
    answer: (s, input) => s.initiateAuth(input),
  }),
  // M2M tokens through the API: a client's own call, authorized by its secret, not by IAM.
  GetClientToken: operation({
    plane: 'data',
    persists: false,
    tokenQuota: true,
    input: GetClientTokenInput,
    service: GetClientTokenService,
    answer: (s, input, context) => s.getClientToken(input, context),
  }),
  DescribeUserPool: operation({
    plane: 'control',
    persists: false,
    input: cp.DescribeUserPool,
    service: ControlPlaneService,
    answer: (s, input) => s.describeUserPool(input),
  }),
  UpdateUserPool: operation({
    plane: 'control',
    persists: true,
    input: cp.UpdateUserPool,
    service: ControlPlaneService,
    answer: (s, input) => s.updateUserPool(input),
  }),
  CreateResourceServer: operation({
    plane: 'control',
    persists: true,
    input: cp.CreateResourceServer,
    service: ControlPlaneService,
    answer: (s, input) => s.createResourceServer(input),
  }),
  DescribeResourceServer: operation({
    plane: 'control',
    persists: false,
    input: cp.DescribeResourceServer,
    service: ControlPlaneService,
    answer: (s, input) => s.describeResourceServer(input),
  }),
  ListResourceServers: operation({
    plane: 'control',
    persists: false,
    input: cp.ListResourceServers,
    service: ControlPlaneService,
    answer: (s, input) => s.listResourceServers(input),
  }),
  UpdateResourceServer: operation({
    plane: 'control',
    persists: true,
    input: cp.UpdateResourceServer,
    service: ControlPlaneService,
    answer: (s, input) => s.updateResourceServer(input),
  }),
  DeleteResourceServer: operation({
    plane: 'control',
    persists: true,
    input: cp.DeleteResourceServer,
    service: ControlPlaneService,
    answer: (s, input) => s.deleteResourceServer(input),
  }),
  CreateUserPoolClient: operation({
    plane: 'control',
    persists: true,
    input: cp.CreateUserPoolClient,
    service: ControlPlaneService,
    answer: (s, input) => s.createUserPoolClient(input),
  }),
  DescribeUserPoolClient: operation({
    plane: 'control',
    persists: false,
    input: cp.DescribeUserPoolClient,
    service: ControlPlaneService,
    answer: (s, input) => s.describeUserPoolClient(input),
  }),
  ListUserPoolClients: operation({
    plane: 'control',
    persists: false,
    input: cp.ListUserPoolClients,
    service: ControlPlaneService,
    answer: (s, input) => s.listUserPoolClients(input),
  }),
  UpdateUserPoolClient: operation({
    plane: 'control',
    persists: true,
    input: cp.UpdateUserPoolClient,
    service: ControlPlaneService,
    answer: (s, input) => s.updateUserPoolClient(input),
  }),
  DeleteUserPoolClient: operation({
    plane: 'control',
    persists: true,
    input: cp.DeleteUserPoolClient,
    service: ControlPlaneService,
    answer: (s, input) => s.deleteUserPoolClient(input),
  }),
  AddUserPoolClientSecret: operation({
    plane: 'control',
    persists: true,
    input: cp.AddUserPoolClientSecret,
    service: ControlPlaneService,
    answer: (s, input) => s.addUserPoolClientSecret(input),
  }),
  ListUserPoolClientSecrets: operation({
    plane: 'control',
    persists: false,
    input: cp.ListUserPoolClientSecrets,
    service: ControlPlaneService,
    answer: (s, input) => s.listUserPoolClientSecrets(input),
  }),
  DeleteUserPoolClientSecret: operation({
    plane: 'control',
    persists: true,
    input: cp.DeleteUserPoolClientSecret,
    service: ControlPlaneService,
    answer: (s, input) => s.deleteUserPoolClientSecret(input),
  }),
};
