import type { Response } from 'express';

/** The caller of the FHIR API, as its SMART access token established (PAS: the submitting organisation). */
export interface FhirApiClient {
  /** The clients file's `iss` (its SMART client_id); `open-development-mode` without a clients file. */
  readonly iss: string;
  /** The scopes its token was granted (SMART v2 system scopes); every offered scope in open development mode. */
  readonly scopes: readonly string[];
}

const KEY = 'fhirApiClient';

export function setFhirApiClient(res: Response, client: FhirApiClient): void {
  res.locals[KEY] = client;
}

export function fhirApiClientOf(res: Response): FhirApiClient | undefined {
  return res.locals[KEY] as FhirApiClient | undefined;
}
