/**
 * Canonical URLs and code systems of Da Vinci PAS 2.2.1 and the R4
 * Subscriptions backport, as the IG sources spell them (HL7/davinci-pas@2.2.1
 * input/fsh; notes: dtr-pas-spec.md §2). The Inferno PAS kit matches some of
 * them exactly (e.g. extension-reviewActionCode as a full URL).
 */
const PAS_SD = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition';

export const PAS_EXTENSIONS = {
  reviewAction: `${PAS_SD}/extension-reviewAction`,
  /** Used as a sub-extension of reviewAction by its full URL, not "code". */
  reviewActionCode: `${PAS_SD}/extension-reviewActionCode`,
  itemPreAuthPeriod: `${PAS_SD}/extension-itemPreAuthPeriod`,
  itemPreAuthIssueDate: `${PAS_SD}/extension-itemPreAuthIssueDate`,
  itemAuthorizedDetail: `${PAS_SD}/extension-itemAuthorizedDetail`,
  administrationReferenceNumber: `${PAS_SD}/extension-administrationReferenceNumber`,
  claimResponseReviewer: `${PAS_SD}/extension-claimResponseReviewer`,
  serviceItemRequestType: `${PAS_SD}/extension-serviceItemRequestType`,
  certificationType: `${PAS_SD}/extension-certificationType`,
  requestedService: `${PAS_SD}/extension-requestedService`,
  levelOfServiceCode: `${PAS_SD}/extension-levelOfServiceCode`,
  transmissionIdentifiers: `${PAS_SD}/extension-TransmissionIdentifiers`,
  careTeamClaimScope: `${PAS_SD}/extension-careTeamClaimScope`,
  documentInformation: `${PAS_SD}/extension-documentInformation`,
} as const;

export const X12 = {
  /** HCR01 review action (306): A1 certified in total, A3 not certified, A4 pended, A6 modified … */
  reviewAction: 'https://codesystem.x12.org/005010/306',
  /** HCR03 review decision reason (886): note "external/". */
  decisionReason: 'https://codesystem.x12.org/external/886',
  serviceType: 'https://codesystem.x12.org/005010/1365',
  requestType: 'https://codesystem.x12.org/005010/1525',
  certificationType: 'https://codesystem.x12.org/005010/1322',
  levelOfService: 'https://codesystem.x12.org/005010/1338',
  entityIdentifier: 'https://codesystem.x12.org/005010/98',
  reportType: 'https://codesystem.x12.org/005010/755',
  transmissionMethod: 'https://codesystem.x12.org/005010/756',
  relationship: 'https://codesystem.x12.org/005010/1069',
} as const;

/** HCR01 codes the IG, its examples and the Inferno kit use; others are known from X12 but not confirmed here (dtr-pas-spec.md §2.4). */
export const REVIEW_ACTION_CODES = ['A1', 'A2', 'A3', 'A4', 'A6', 'C', 'CT', 'NA'] as const;

export const PAS_TEMP_CODES = 'http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes';
export const PAS_SUBSCRIPTION_TOPIC = 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic';
export const CMS_PLACE_OF_SERVICE = 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set';
export const ADJUDICATION_CATEGORIES = 'http://terminology.hl7.org/CodeSystem/adjudication';
export const MEMBER_ID_TYPE = { system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' } as const;
