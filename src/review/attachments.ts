import type { Attachment, QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4.js';

/** An attachment the clinician answered with on the form, numbered in the form's order. */
export interface FormAttachment {
  readonly index: number;
  readonly linkId: string;
  readonly title?: string | undefined;
  readonly contentType?: string | undefined;
  /** Bytes carried in the request (base64 `data`); undefined when the form only points to a URL. */
  readonly data?: Buffer | undefined;
  readonly url?: string | undefined;
}

/**
 * The attachments of a DTR QuestionnaireResponse, in the order formAnswers
 * (src/pas/form-answers.ts) reads answers: an item's answers, then its child
 * items, then the answers' child items. The n-th attachment of a linkId here
 * is the n-th attachment answer formAnswers gives for it.
 */
export function formAttachments(form: QuestionnaireResponse | undefined): FormAttachment[] {
  const out: FormAttachment[] = [];
  const walk = (items: readonly QuestionnaireResponseItem[] | undefined) => {
    for (const item of items ?? []) {
      for (const a of item.answer ?? []) {
        const attachment = a.valueAttachment;
        if (attachment && (attachment.data || attachment.url)) out.push(attachmentOf(out.length, item.linkId, attachment));
      }
      walk(item.item);
      for (const a of item.answer ?? []) walk(a.item);
    }
  };
  walk(form?.item);
  return out;
}

function attachmentOf(index: number, linkId: string, a: Attachment): FormAttachment {
  return { index, linkId, title: a.title, contentType: a.contentType, data: a.data ? Buffer.from(a.data, 'base64') : undefined, url: a.url };
}

/**
 * Types a browser may be handed as they are: documents and images that run
 * no script. Everything else (HTML, SVG, scripts, unknown types) is sent as
 * application/octet-stream, and every download as an attachment.
 */
const SAFE_TYPES: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/tiff': 'tiff',
  'text/plain': 'txt',
};

/** The Content-Type a download is served with. */
export function safeContentType(declared: string | undefined): string {
  const type = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(type in SAFE_TYPES)) return 'application/octet-stream';
  return type === 'text/plain' ? 'text/plain; charset=utf-8' : type;
}

/** RFC 6266 Content-Disposition: always `attachment`, an ASCII file name and the UTF-8 one (RFC 8187). */
export function contentDisposition(attachment: FormAttachment): string {
  const type = (attachment.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const fallback = `attachment-${attachment.index + 1}${SAFE_TYPES[type] ? `.${SAFE_TYPES[type]}` : ''}`;
  // The last part of a path, without control characters or quotes: a name, never a place to write to.
  const name =
    (attachment.title ?? '')
      .split(/[\\/]/)
      .at(-1)!
      .replace(/[\u0000-\u001f\u007f"\\/:*?<>|]+/g, '_')
      .replace(/^[.\s]+/, '')
      .trim()
      .slice(0, 120) || fallback;
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
