import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy, type CompiledPolicy } from './compiled-policy.js';
import { PolicyDefinition } from './policy-definition.js';

/** Reads, validates and compiles a policy directory (policy.json + its documents). Start-up only. */
export function loadPolicy(directory: string): CompiledPolicy {
  const file = join(directory, 'policy.json');
  const parsed = PolicyDefinition.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid policy ${file}: ${issues}`);
  }
  return compilePolicy(parsed.data);
}
