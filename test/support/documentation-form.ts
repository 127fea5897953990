import type { Page } from 'playwright-core';

/**
 * The preview page's documentation step as a clinician uses it, for the
 * browser test and the screenshot script. LHC-Forms names each item's
 * element after its linkId and its place: `<linkId>/1/1` for an item in a
 * top-level group (one `/1` per level), `<linkId>/…|true` for a boolean's
 * "Yes", `file-<linkId>/…` for an attachment's file input.
 */
export const lformsItem = (id: string) => `#documentation-form [id="${id}"]`;

/** What the clinician answers on the ALL form the order-sign record left incomplete (scenario all-lineage-undocumented). */
export const CLINICIAN_ANSWERS = {
  lineageEstablishedBy: 'Flow cytometry immunophenotyping',
  relapseType: 'Relapsed: disease progression after the last treatment regimen',
  /** Typed as LHC-Forms' date field asks (MM/DD/YYYY); the response carries the FHIR date. */
  relapseDate: { typed: '11/04/2025', fhir: '2025-11-04' },
  lastRegimen: 'Hyper-CVAD with rituximab, 2025-01-06 to 2025-09-22',
  lastRegimenResponse: 'Disease progression after the regimen',
  pathologyReport: { name: 'bone-marrow-pathology.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% bone marrow pathology report\n') },
  flowCytometryReport: { name: 'flow-cytometry.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% flow cytometry immunophenotyping\n') },
} as const;

/** Clicks a boolean item's "Yes" (or "No"). */
export function answerBoolean(page: Page, id: string, value: boolean): Promise<void> {
  return page.click(lformsItem(`${id}|${value}`));
}

/** Opens a choice item's list and clicks the option with this text, as a clinician picks it. */
export async function chooseOption(page: Page, id: string, option: string): Promise<void> {
  await page.click(lformsItem(id));
  await page.click(`#lhc-tools-searchResults li:has-text(${JSON.stringify(option)})`);
}

/** Types a date into LHC-Forms' date picker and confirms it. */
export async function typeDate(page: Page, id: string, typed: string): Promise<void> {
  await page.click(`${lformsItem(id)} input`);
  await page.keyboard.type(typed);
  await page.keyboard.press('Enter');
}

/**
 * Answers what the record did not establish: the ALL lineage and how it was
 * established, the relapse (which makes its details appear: enableWhen), the
 * no-prior-CAR-T attestation, tocilizumab, and the pathology and flow
 * cytometry reports as attachments.
 */
export async function fillRemainingItems(page: Page): Promise<void> {
  const a = CLINICIAN_ANSWERS;
  await answerBoolean(page, 'all-b-cell-precursor-lineage/1/1/1', true);
  await chooseOption(page, 'all-lineage-established-by/1/1/1', a.lineageEstablishedBy);
  await answerBoolean(page, 'relapsed-or-refractory/1/1', true);
  await chooseOption(page, 'relapsed-or-refractory-type/1/1', a.relapseType);
  await typeDate(page, 'relapsed-or-refractory-date/1/1', a.relapseDate.typed);
  await page.fill(lformsItem('last-treatment-regimen/1/1'), a.lastRegimen);
  await chooseOption(page, 'last-regimen-response/1/1', a.lastRegimenResponse);
  await answerBoolean(page, 'no-prior-car-t-attestation/1/1', true);
  await answerBoolean(page, 'tocilizumab-available/1/1', true);
  await page.setInputFiles(lformsItem('file-pathology-report/1/1'), { ...a.pathologyReport });
  await page.setInputFiles(lformsItem('file-flow-cytometry-report/1/1'), { ...a.flowCytometryReport });
}

/** Starts the step on the answer the page shows and waits for the pre-filled form. */
export async function openDocumentationForm(page: Page): Promise<void> {
  await page.click('#start-documentation');
  await page.waitForSelector('#documentation[data-state="form"], #documentation[data-state="error"]', { timeout: 60_000 });
}

/** Clicks "Done" and returns the QuestionnaireResponse the page shows. */
export async function finishDocumentation(page: Page): Promise<Record<string, any>> {
  await page.click('#finish-documentation');
  await page.waitForSelector('#documentation[data-state="completed"], #documentation[data-state="in-progress"]');
  return JSON.parse((await page.textContent('#documentation-response')) ?? '') as Record<string, any>;
}

/** The pathology report the clinician attaches on the mantle cell lymphoma form. */
export const MCL_PATHOLOGY_REPORT = { name: 'lymph-node-pathology.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% lymph node biopsy: mantle cell lymphoma, cyclin D1 positive\n') } as const;

/**
 * Answers what the eligible mantle cell lymphoma record leaves to the
 * clinician (scenario eligible-mcl): the last regimen and its response (the
 * record shows the relapse, not the treatment), the setting (inpatient)
 * unless pre-filled, the no-prior-CAR-T attestation, tocilizumab
 * availability (`tocilizumab: false` leaves the gap a PA reviewer must
 * close) and the pathology report as an attachment.
 */
export async function fillMantleCellItems(page: Page, options: { tocilizumab: boolean }): Promise<void> {
  if ((await page.inputValue(lformsItem('last-treatment-regimen/1/1'))) === '') await page.fill(lformsItem('last-treatment-regimen/1/1'), 'Bendamustine and rituximab, then ibrutinib');
  if ((await page.inputValue(lformsItem('last-regimen-response/1/1'))) === '') await chooseOption(page, 'last-regimen-response/1/1', 'Disease progression after the regimen');
  if ((await page.inputValue(lformsItem('administration-setting/1/1'))) === '') await chooseOption(page, 'administration-setting/1/1', 'inpatient encounter');
  await answerBoolean(page, 'no-prior-car-t-attestation/1/1', true);
  await answerBoolean(page, 'tocilizumab-available/1/1', options.tocilizumab);
  await page.setInputFiles(lformsItem('file-pathology-report/1/1'), { ...MCL_PATHOLOGY_REPORT });
}

/** Clicks "Submit the prior authorization" and waits for the decision (or the error) the page shows. */
export async function submitPriorAuthorization(page: Page): Promise<string> {
  await page.click('#submit-prior-authorization');
  await page.waitForSelector('#prior-authorization:is([data-state="certified"], [data-state="pended"], [data-state="not-certified"], [data-state="other"], [data-state="error"])');
  return (await page.getAttribute('#prior-authorization', 'data-state')) ?? '';
}
