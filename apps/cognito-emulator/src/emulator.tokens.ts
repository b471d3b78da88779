/** Injection token of the Cognito Identity Provider operations served on `POST /` (`IdpOperations`). */
export const IDP_OPERATIONS = Symbol('IDP_OPERATIONS');
