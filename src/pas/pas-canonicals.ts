/**
 * Da Vinci PAS 2.2.1 canonical URLs and code systems the service writes
 * (HL7/davinci-pas input/fsh). The Inferno PAS kit matches some exactly,
 * e.g. extension-reviewActionCode as a full URL inside extension-reviewAction.
 */
const PAS_SD = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition';

export const PAS = {
  reviewAction: `${PAS_SD}/extension-reviewAction`,
  reviewActionCode: `${PAS_SD}/extension-reviewActionCode`,
  itemPreAuthPeriod: `${PAS_SD}/extension-itemPreAuthPeriod`,
  itemPreAuthIssueDate: `${PAS_SD}/extension-itemPreAuthIssueDate`,
  claimResponseReviewer: `${PAS_SD}/extension-claimResponseReviewer`,
  requestedService: `${PAS_SD}/extension-requestedService`,
  transmissionIdentifiers: `${PAS_SD}/extension-TransmissionIdentifiers`,
  responseBundleProfile: `${PAS_SD}/profile-pas-response-bundle`,
  claimResponseProfile: `${PAS_SD}/profile-claimresponse`,
  inquiryResponseBundleProfile: `${PAS_SD}/profile-pas-inquiry-response-bundle`,
} as const;

/** X12 306 (HCR01) review actions the service uses: the only ones the IG's examples and the Inferno kit confirm. */
export const REVIEW_ACTION_SYSTEM = 'https://codesystem.x12.org/005010/306';
export const REVIEW_ACTIONS = {
  certified: { code: 'A1', display: 'Certified in total' },
  notCertified: { code: 'A3', display: 'Not Certified' },
  pended: { code: 'A4', display: 'Pended' },
} as const;
/** X12 886 (HCR03) review decision reasons: licensed; a plan maps its own reasons to them in policy.json (x12Code). */
export const DECISION_REASON_SYSTEM = 'https://codesystem.x12.org/external/886';

export const ADJUDICATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/adjudication';
export const PROCESS_PRIORITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/processpriority';
/** The member id's identifier type (v2-0203 MB): PAS profile-coverage identifier[memberid]. */
export const MEMBER_ID_TYPE = { system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' } as const;
