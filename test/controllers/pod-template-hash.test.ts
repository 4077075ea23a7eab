/**
 * The pod-template-hash against vectors computed by Go with upstream's code (test/controllers/fixtures):
 * the same template must give the same ReplicaSet name as on a real cluster.
 */
import { readFileSync } from 'node:fs';
import { goDumpPodTemplate } from '../../src/controllers/deployment/go-dump.js';
import { goParseQuantity, goQuantityString, UnsupportedForHash } from '../../src/controllers/deployment/go-quantity.js';
import { computeHash } from '../../src/controllers/deployment/hash.js';

interface Vector {
  template: Record<string, unknown>;
  dump: string;
  hash: string;
  hashWithCollisionCount1: string;
}

const { vectors } = JSON.parse(readFileSync(new URL('./fixtures/pod-template-hash.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

describe('pod-template-hash parity with kube-controller-manager', () => {
  it.each(vectors.map((v, i) => [i, v] as const))('template %i prints as Go dumps it', (_i, v) => {
    expect(goDumpPodTemplate(v.template)).toBe(v.dump);
  });
  it.each(vectors.map((v, i) => [i, v] as const))('template %i hashes as Go does', (_i, v) => {
    expect(computeHash(v.template)).toBe(v.hash);
    expect(computeHash(v.template, 1)).toBe(v.hashWithCollisionCount1);
  });
  it('canonicalises quantities as Quantity.String does (what kube-apiserver serves)', () => {
    // Expected values printed by Go's resource.ParseQuantity(s).String() (apimachinery v0.33.0).
    const canonical = (s: string) => goQuantityString(goParseQuantity(s));
    const cases: [string, string][] = [
      ['0.5', '500m'], ['1000', '1k'], ['1.5', '1500m'], ['0', '0'], ['100m', '100m'], ['128Mi', '128Mi'], ['1Gi', '1Gi'],
      ['1024', '1024'], ['2048Ki', '2Mi'], ['3e3', '3e3'], ['3e4', '30e3'], ['1500000u', '1500m'], ['-2k', '-2k'],
      ['12e-1', '1200e-3'], ['1025Ki', '1025Ki'], ['1e20', '100e18'], ['999999999999999999', '999999999999999999'],
      ['5n', '5n'], ['100Gi', '100Gi'], ['1.0', '1'], ['01', '01'],
    ];
    expect(cases.map(([s]) => canonical(s))).toEqual(cases.map(([, c]) => c));
    // Go keeps these as inf.Dec: not reproduced, the hash falls back.
    expect(() => goParseQuantity('0.1Ki')).toThrow(UnsupportedForHash);
  });
  it('reads quantities as ParseQuantity does', () => {
    expect(goParseQuantity('100m')).toEqual({ value: 100n, scale: -3, s: '100m', format: 'DecimalSI' });
    expect(goParseQuantity('128Mi')).toEqual({ value: 134217728n, scale: 0, s: '', format: 'BinarySI' });
    expect(goParseQuantity('1Gi')).toEqual({ value: 1073741824n, scale: 0, s: '1Gi', format: 'BinarySI' });
    expect(goParseQuantity('0.5')).toEqual({ value: 5n, scale: -1, s: '', format: 'DecimalSI' });
    expect(goParseQuantity('3e3')).toEqual({ value: 3n, scale: 3, s: '3e3', format: 'DecimalExponent' });
    expect(goParseQuantity('1000')).toEqual({ value: 1000n, scale: 0, s: '', format: 'DecimalSI' }); // not canonical: no cached string
  });
});
