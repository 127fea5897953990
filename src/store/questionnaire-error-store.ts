import type { QuestionnaireErrorIssue } from './schema.js';
import { questionnaireErrors } from './schema.js';
import { query, type SqlDatabase } from './sql-database.js';
import type { RowOf } from './sql-table.js';

/** An error a DTR client reported about the questionnaire package ($log-questionnaire-errors). */
export interface QuestionnaireErrorRecord {
  readonly receivedAt: Date;
  /** The client that reported it (its SMART client_id, the clients-file iss); `open-development-mode` without authentication. */
  readonly clientIss: string;
  /** The Questionnaire canonicals the errors concern. */
  readonly questionnaires: readonly string[];
  /** The CRD coverage-assertion-id of the call the package came from, when the client named it. */
  readonly assertionId?: string | undefined;
  readonly issues: readonly QuestionnaireErrorIssue[];
}

const SINCE = query<RowOf<typeof questionnaireErrors>>('SELECT * FROM questionnaire_errors WHERE received_at >= ? ORDER BY error_id', questionnaireErrors);

/** Keeps and lists reported questionnaire errors, on the decision store's database (same migrations, same connection). */
export class QuestionnaireErrorStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly migrated: Promise<void>,
  ) {}

  async record(error: QuestionnaireErrorRecord): Promise<void> {
    await this.migrated;
    await this.db.insert(questionnaireErrors, [
      {
        received_at: error.receivedAt,
        client_iss: error.clientIss,
        questionnaires: error.questionnaires,
        assertion_id: error.assertionId ?? null,
        issues: error.issues,
      },
    ]);
  }

  async since(cutoff: Date): Promise<QuestionnaireErrorRecord[]> {
    await this.migrated;
    const rows = await this.db.select(SINCE, [cutoff]);
    return rows.map((r) => ({
      receivedAt: r.received_at,
      clientIss: r.client_iss,
      questionnaires: r.questionnaires,
      assertionId: r.assertion_id ?? undefined,
      issues: r.issues,
    }));
  }
}
