import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { LoginThrottle } from '../../src/review/login-throttle.js';
import { hashPassword, parsePasswordHash, verifyPassword, type ParsedHash } from '../../src/review/password-hash.js';
import { parseReviewers } from '../../src/review/reviewers.js';
import { contentDisposition, safeContentType } from '../../src/review/attachments.js';

const parsed = (stored: string) => parsePasswordHash(stored) as ParsedHash;

describe('Passwords are kept as scrypt hashes', () => {
  it('scrypt$N$r$p$salt$hash, a new salt each time; the right password verifies, another does not', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifyPassword('correct horse battery staple', parsed(a)), true);
    assert.equal(await verifyPassword('correct horse battery stapler', parsed(a)), false);
  });

  it('a plain password, another scheme or a weak cost is not a hash the file may hold', () => {
    assert.match((parsePasswordHash('hunter2') as { problem: string }).problem, /not an scrypt hash/);
    assert.match((parsePasswordHash('$2b$12$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzabcd') as { problem: string }).problem, /not an scrypt hash/);
    assert.match((parsePasswordHash(`scrypt$1024$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`) as { problem: string }).problem, /too weak/);
  });
});

describe('The reviewers file (REVIEWERS_FILE)', () => {
  const hash = `scrypt$16384$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`;

  it('accounts by user name, compared without case, with their role', () => {
    const accounts = parseReviewers([
      { username: 'Alice', role: 'reviewer', passwordHash: hash },
      { username: 'bob', role: 'auditor', passwordHash: hash },
    ]);
    assert.equal(accounts.get('alice')?.role, 'reviewer');
    assert.equal(accounts.get('alice')?.username, 'Alice');
    assert.equal(accounts.get('bob')?.role, 'auditor');
  });

  it('refused, naming every problem: a plain password, a name twice, an unknown role, a name with spaces', () => {
    assert.throws(
      () =>
        parseReviewers([
          { username: 'alice', role: 'reviewer', passwordHash: 'secret' },
          { username: 'ALICE', role: 'reviewer', passwordHash: hash },
        ]),
      /alice: passwordHash is not an scrypt hash.*ALICE: listed twice/,
    );
    assert.throws(() => parseReviewers([{ username: 'carol', role: 'admin', passwordHash: hash }]), /role/);
    assert.throws(() => parseReviewers([{ username: 'd ave', role: 'reviewer', passwordHash: hash }]), /letters, digits/);
    assert.throws(() => parseReviewers([]), /lists no account/);
  });
});

describe('npx tecartus-cds hash-password', () => {
  const run = async (stdin: string) => {
    let out = '';
    let err = '';
    const status = await runCli(['hash-password'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, readInput: () => stdin });
    return { status, out, err };
  };

  it('prints the hash of the password read from standard input, which then verifies', async () => {
    const { status, out } = await run('a long enough passphrase\n');
    assert.equal(status, 0);
    assert.equal(await verifyPassword('a long enough passphrase', parsed(out.trim())), true);
  });

  it('a password under 12 characters: exit 2, nothing printed', async () => {
    const { status, out, err } = await run('short\n');
    assert.equal(status, 2);
    assert.equal(out, '');
    assert.match(err, /at least 12 characters/);
  });
});

describe('Downloads of attachments', () => {
  it('only types that run nothing keep their type; the rest are application/octet-stream', () => {
    assert.equal(safeContentType('application/pdf'), 'application/pdf');
    assert.equal(safeContentType('IMAGE/PNG; q=1'), 'image/png');
    assert.equal(safeContentType('text/plain'), 'text/plain; charset=utf-8');
    for (const risky of ['text/html', 'image/svg+xml', 'application/javascript', 'application/xhtml+xml', undefined]) assert.equal(safeContentType(risky), 'application/octet-stream', String(risky));
  });

  it('always an attachment; the file name cannot name a path or break the header', () => {
    assert.equal(contentDisposition({ index: 0, linkId: 'x', title: '../../etc/passwd', contentType: 'application/pdf' }), `attachment; filename="passwd"; filename*=UTF-8''passwd`);
    assert.equal(contentDisposition({ index: 1, linkId: 'x', title: 'a"b\r\nSet-Cookie: x=1', contentType: 'text/plain' }), `attachment; filename="a_b_Set-Cookie_ x=1"; filename*=UTF-8''a_b_Set-Cookie_%20x%3D1`);
    assert.equal(contentDisposition({ index: 2, linkId: 'x', title: 'Befund Müller.pdf' }), `attachment; filename="Befund M_ller.pdf"; filename*=UTF-8''Befund%20M%C3%BCller.pdf`);
    assert.equal(contentDisposition({ index: 3, linkId: 'x', contentType: 'image/png' }), `attachment; filename="attachment-4.png"; filename*=UTF-8''attachment-4.png`);
  });
});

describe('The sign-in throttle', () => {
  const at = (minutes: number) => new Date(Date.UTC(2026, 5, 15, 12, minutes));

  it('5 failures for one account from one address block it; another account from there is still allowed until 20 failures', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1', 'alice', at(i));
    assert.ok(throttle.retryAfter('10.0.0.1', 'Alice', at(5)), 'blocked, whatever the case of the name');
    assert.equal(throttle.retryAfter('10.0.0.2', 'alice', at(5)), undefined, 'another address is not blocked: a stranger cannot lock a reviewer out');
    assert.equal(throttle.retryAfter('10.0.0.1', 'bob', at(5)), undefined);
    for (let i = 0; i < 15; i++) throttle.failed('10.0.0.1', `user${i}`, at(6));
    assert.ok(throttle.retryAfter('10.0.0.1', 'carol', at(7)), '20 failures from one address block it');
  });

  it('failures older than 15 minutes no longer count', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1', 'alice', at(0));
    assert.equal(throttle.retryAfter('10.0.0.1', 'alice', at(14)), 60);
    assert.equal(throttle.retryAfter('10.0.0.1', 'alice', at(15)), undefined);
  });
});
