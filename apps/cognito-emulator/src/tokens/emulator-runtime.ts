/**
 * Where the emulator is reachable. With PORT=0 the port is only known after
 * `listen`, so bootstrap fills this in before the URL is handed to anyone.
 */
export class EmulatorRuntime {
  private base = '';
  constructor(readonly userPoolId: string) {}

  setBase(base: string): void {
    this.base = base.replace(/\/+$/, '');
  }

  get issuer(): string {
    return `${this.base}/${this.userPoolId}`;
  }

  get tokenUrl(): string {
    return `${this.base}/oauth2/token`;
  }

  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }
}
