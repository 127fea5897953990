import type { PaRequestStore } from '../store/pa-request-store.js';
import type { StoredAdjudication } from './submit-claim.js';

/**
 * The authorization approved for an order of a patient whose period covers
 * the date of service: an item certified by the engine or by a reviewer, the
 * latest if there are several. What a later order-sign reports as satisfied.
 */
export async function findApprovedAuthorization(requests: PaRequestStore, patientId: string, orderReference: string, serviceDate: string) {
  const candidates = (await requests.byPatient(patientId)).filter((r) => r.orders.includes(orderReference)).reverse();
  for (const request of candidates) {
    const adjudication = request.adjudication as StoredAdjudication;
    for (const answer of adjudication.answers) {
      if (answer.action !== 'certified') continue;
      const item = adjudication.items.find((i) => i.sequence === answer.sequence);
      if (item?.order !== orderReference) continue;
      if (answer.period.start <= serviceDate && serviceDate <= answer.period.end) return { number: answer.authNumber, period: answer.period };
    }
  }
  return undefined;
}
