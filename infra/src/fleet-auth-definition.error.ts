/** A definition the stack cannot provision; the message names the field. */
export class FleetAuthDefinitionError extends Error {
  readonly code = 'unsupported_definition';
  constructor(message: string) {
    super(message);
    this.name = 'FleetAuthDefinitionError';
  }
}
