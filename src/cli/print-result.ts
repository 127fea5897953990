import { draftEntries } from '../hooks/draft-orders.js';
import type { Extension } from 'fhir/r4.js';
import { COVERAGE_INFORMATION_URL } from '../hooks/coverage-information.js';
import type { CdsCard, CdsResponse } from '../hooks/types.js';
import type { Evaluation } from './evaluate.js';
import { markdownToTerminal } from './terminal-markdown.js';
import { printable, wrap, type TerminalStyle } from './terminal-style.js';

/**
 * The evaluation as a clinician-facing terminal report: the decision per
 * order, the coverage information the EHR would store on each order, and
 * the cards in the order the EHR shows them. Everything taken from the
 * response passes through printable() before it is written.
 */
export function formatEvaluation(evaluation: Evaluation, style: TerminalStyle, width: number): string {
  const { result, serviceId } = evaluation;
  const out: string[] = [];
  const p = printable;
  out.push(style.bold(`Tecartus coverage requirements: ${serviceId} (${result.service.hook}, CRD ${result.options.version === '2.2' ? '2.2' : '2.0.1'})`));
  out.push(`Input: ${evaluation.input === 'bundle' ? `FHIR Bundle, judged as the ${result.service.hook} request an EHR would send` : 'CDS Hooks request'}; patient ${p(result.request.context.patientId)}`);
  const orders = draftEntries(result.request).map((r) => `${p(r.resourceType)}/${p(r.id)}`);
  out.push(`Orders: ${orders.join(', ') || 'none'}`);
  out.push('');

  out.push(style.bold('Decision'));
  if (result.judged.length === 0) {
    out.push('  No Tecartus order among the orders: the service has nothing to say (no cards, no coverage information).');
  }
  for (const { decision } of result.judged) {
    const findings = decision.findings.map((f) => f.code).join(', ');
    out.push(wrap(`${decision.order.reference}: ${colourCovered(decision.determination, style)}${findings ? ` (${findings})` : ''}, judged on ${decision.orderDate}`, width, '  '));
  }
  out.push('');

  out.push(style.bold('Coverage information'));
  const infos = coverageInformation(result.response);
  if (infos.length === 0) out.push('  None in this answer.');
  for (const info of infos) {
    out.push(`  ${p(info.order)} on ${p(info.coverage)}`);
    const rows: [string, string][] = [
      ['Covered', colourCovered(p(info.covered), style)],
      ['PA needed', p(info.paNeeded) || '—'],
      ['Documentation', info.docNeeded.length > 0 ? `${info.docNeeded.map(p).join(', ')}${info.docPurpose.length > 0 ? ` (${info.docPurpose.map(p).join(', ')})` : ''}` : '—'],
      ['Info needed', info.infoNeeded.map(p).join(', ') || '—'],
      ['Reasons', info.reasons.map((r) => p(r)).join('; ')],
      ['Billing code', info.billingCodes.map(p).join(', ')],
      ['Date', p(info.date)],
      ['Contact', p(info.contact)],
      ['Assertion id', p(info.assertionId)],
    ];
    for (const [label, value] of rows) out.push(field(label, value, width));
  }
  out.push('');

  const cards = result.response.cards;
  out.push(style.bold(`Cards (${cards.length})`));
  if (cards.length === 0) out.push('  None: the clinician sees nothing from this service.');
  cards.forEach((card, i) => {
    out.push('');
    out.push(formatCard(card, i + 1, style, width));
  });
  return `${out.join('\n')}\n`;
}

function formatCard(card: CdsCard, n: number, style: TerminalStyle, width: number): string {
  const p = printable;
  const indicator = p(card.indicator).toUpperCase();
  const badge = card.indicator === 'critical' ? style.red(`[${indicator}]`) : card.indicator === 'warning' ? style.yellow(`[${indicator}]`) : style.blue(`[${indicator}]`);
  const lines: string[] = [];
  lines.push(wrap(`${n}. ${badge} ${style.bold(p(card.summary))}`, width));
  const topic = card.source.topic ? ` · ${p(card.source.topic.display ?? card.source.topic.code)} (${p(card.source.topic.code)})` : '';
  lines.push(style.dim(wrap(`Source: ${p(card.source.label)}${topic}${card.source.url ? ` <${p(card.source.url)}>` : ''}`, width, '   ')));
  if (card.detail) {
    lines.push('');
    lines.push(wrap(markdownToTerminal(card.detail, style), width, '   '));
  }
  if (card.links && card.links.length > 0) {
    lines.push('', '   Links:');
    for (const link of card.links) lines.push(wrap(`- ${p(link.label)} <${p(link.url)}>${link.type === 'smart' ? ' (SMART app)' : ''}`, width, '     '));
  }
  if (card.suggestions && card.suggestions.length > 0) {
    lines.push('', '   Suggestions:');
    for (const s of card.suggestions) {
      lines.push(wrap(`- ${p(s.label)}${s.isRecommended ? ' (recommended)' : ''}`, width, '     '));
      for (const a of s.actions ?? []) lines.push(wrap(`${p(a.type)} ${a.resource ? `${p(a.resource.resourceType)}/${p(a.resource.id)}` : p(a.resourceId)}: ${p(a.description)}`, width, '       '));
    }
  }
  if (card.overrideReasons && card.overrideReasons.length > 0) {
    lines.push('', '   Override reasons:');
    for (const r of card.overrideReasons) lines.push(wrap(`- ${p(r.display ?? r.code)} (${p(r.code)})`, width, '     '));
  }
  return lines.join('\n');
}

/** "    Label         value", the value wrapped under itself. */
function field(label: string, value: string, width: number): string {
  const indent = ' '.repeat(4 + 14);
  const wrapped = wrap(value, width, indent).slice(indent.length);
  return `    ${label.padEnd(14)}${wrapped}`;
}

function colourCovered(value: string, style: TerminalStyle): string {
  if (value === 'covered') return style.green(value);
  if (value === 'not-covered') return style.red(value);
  return style.yellow(value);
}

interface CoverageInformationLine {
  order: string;
  coverage: string;
  covered: string;
  paNeeded: string;
  docNeeded: string[];
  docPurpose: string[];
  infoNeeded: string[];
  reasons: string[];
  billingCodes: string[];
  date: string;
  contact: string;
  assertionId: string;
}

/** The coverage-information extensions of the systemActions as plain values. */
function coverageInformation(response: CdsResponse): CoverageInformationLine[] {
  const lines: CoverageInformationLine[] = [];
  for (const action of response.systemActions ?? []) {
    const resource = action.resource as { resourceType: string; id?: string; extension?: Extension[] } | undefined;
    for (const ext of resource?.extension ?? []) {
      if (ext.url !== COVERAGE_INFORMATION_URL) continue;
      const subs = ext.extension ?? [];
      const all = (url: string) => subs.filter((s) => s.url === url);
      const codes = (url: string) => all(url).map((s) => s.valueCode ?? '');
      const contacts = all('contact').map((c) => {
        const points = c.valueContactPoint ? [c.valueContactPoint] : (c.valueContactDetail?.telecom ?? []);
        return [c.valueContactDetail?.name, ...points.map((t) => `${t.system ?? ''} ${t.value ?? ''}`.trim())].filter(Boolean).join(': ');
      });
      lines.push({
        order: `${resource!.resourceType}/${resource!.id ?? ''}`,
        coverage: all('coverage')[0]?.valueReference?.reference ?? '',
        covered: codes('covered')[0] ?? '',
        paNeeded: codes('pa-needed').join(', '),
        docNeeded: codes('doc-needed'),
        docPurpose: codes('doc-purpose'),
        infoNeeded: codes('info-needed'),
        reasons: all('reason').map((r) => {
          const coding = r.valueCodeableConcept?.coding?.[0];
          return `${coding?.display ?? coding?.code ?? r.valueCodeableConcept?.text ?? ''}${coding?.code ? ` [${coding.code}]` : ''}`;
        }),
        billingCodes: all('billingCode').map((b) => b.valueCoding?.code ?? ''),
        date: all('date')[0]?.valueDate ?? '',
        contact: contacts.join('; '),
        assertionId: all('coverage-assertion-id')[0]?.valueString ?? '',
      });
    }
  }
  return lines;
}
