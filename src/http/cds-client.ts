import type { Response } from 'express';

/** The CDS client (EHR) that made a call, as established by JWT authentication. */
export interface CdsClient {
  /** The JWT issuer; `open-development-mode` when the service runs without a clients file. */
  readonly iss: string;
  readonly tenant?: string | undefined;
}

/** The client recorded when no authentication identified one (open development mode). */
export const OPEN_DEVELOPMENT_MODE_ISS = 'open-development-mode';

const KEY = 'cdsClient';

export function setCdsClient(res: Response, client: CdsClient): void {
  res.locals[KEY] = client;
}

export function cdsClientOf(res: Response): CdsClient | undefined {
  return res.locals[KEY] as CdsClient | undefined;
}
