/** A prior authorization the plan approved for an order (PAS, issue 13), as CRD reports it back (q4, q5). */
export interface ApprovedAuthorization {
  /** The authorization number: CRD satisfied-pa-id. */
  readonly number: string;
  /** The dates it covers (YYYY-MM-DD). */
  readonly period: { readonly start: string; readonly end: string };
}

/** Finds the approval covering an order of a patient on its date of service, if the plan issued one. */
export type FindApprovedAuthorization = (patientId: string, orderReference: string, serviceDate: string) => Promise<ApprovedAuthorization | undefined>;
