import { readFileSync } from 'node:fs';
import type { UserInfo } from '../http-app.js';

/**
 * Static bearer tokens, as kube-apiserver's `--token-auth-file` reads them
 * (k8s.io/apiserver/pkg/authentication/token/tokenfile): a CSV file, one record per token,
 *
 *     token,user,uid,"group1,group2"
 *
 * at least three columns; the fourth, when present, is split on commas into groups. A record with an
 * empty token is skipped; of duplicate tokens the last record wins.
 */
export class TokenFile {
  readonly warnings: string[] = [];

  private constructor(private readonly tokens: Map<string, UserInfo>) {}

  static parse(text: string, source = 'token file'): TokenFile {
    const tokens = new Map<string, UserInfo>();
    const file = new TokenFile(tokens);
    let recordNum = 0;
    for (const record of readCsv(text)) {
      if (record.length < 3) {
        throw new Error(`token file '${source}' must have at least 3 columns (token, user name, user uid), found ${record.length}`);
      }
      recordNum++;
      const [token, username, uid] = record as [string, string, string];
      if (token === '') {
        file.warnings.push(`empty token has been found in token file '${source}', record number '${recordNum}'`);
        continue;
      }
      if (tokens.has(token)) file.warnings.push(`duplicate token has been found in token file '${source}', record number '${recordNum}'`);
      tokens.set(token, { username, uid, groups: record.length >= 4 ? record[3]!.split(',') : [] });
    }
    return file;
  }

  static load(path: string): TokenFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read token file: ${(err as Error).message}`);
    }
    return TokenFile.parse(text, path);
  }

  get size(): number {
    return this.tokens.size;
  }

  /** The user a token stands for, or undefined for a token not in the file. */
  lookup(token: string): UserInfo | undefined {
    const user = this.tokens.get(token);
    return user && { username: user.username, uid: user.uid, groups: [...user.groups] };
  }
}

/**
 * Records of a CSV text as Go's encoding/csv reads them with its defaults: comma-separated, fields in
 * double quotes may hold commas, newlines and `""`; blank lines are skipped; CRLF is accepted; a stray
 * quote is an error.
 */
export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  const fail = (col: number, what: string, startLine = line): never => {
    const where = startLine !== line ? `record on line ${startLine}; parse error on line ${line}, column ${col}` : `parse error on line ${line}, column ${col}`;
    throw new Error(`${where}: ${what}`);
  };
  while (i < n) {
    // A blank line is no record.
    if (text[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    const startLine = line;
    let lineStart = i;
    const record: string[] = [];
    for (;;) {
      if (text[i] === '"') {
        // Quoted field.
        let field = '';
        i++;
        for (;;) {
          if (i >= n) fail(i - lineStart + 1, 'extraneous or missing " in quoted-field', startLine);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\r' && text[i + 1] === '\n') {
            field += '\n';
            i += 2;
            line++;
            lineStart = i;
            continue;
          }
          if (c === '\n') {
            line++;
            lineStart = i + 1;
          }
          field += c;
          i++;
        }
        record.push(field);
        const next = text[i];
        if (next === ',') {
          i++;
          continue;
        }
        if (next === undefined || next === '\n' || (next === '\r' && text[i + 1] === '\n')) break;
        fail(i - lineStart + 1, 'extraneous or missing " in quoted-field', startLine);
      }
      // Unquoted field: up to the next comma or end of line.
      let end = i;
      while (end < n && text[end] !== ',' && text[end] !== '\n' && !(text[end] === '\r' && text[end + 1] === '\n')) {
        if (text[end] === '"') fail(end - lineStart + 1, 'bare " in non-quoted-field', startLine);
        end++;
      }
      record.push(text.slice(i, end));
      i = end;
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // At the end of the line (or text).
    if (text[i] === '\r') i++;
    if (text[i] === '\n') {
      i++;
      line++;
    }
    records.push(record);
  }
  return records;
}
