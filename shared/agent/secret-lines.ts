/**
 * The values to mask for a secret. The agent masks single lines only, so a multi-line secret (a PEM
 * certificate with its key) is masked line by line, PEM armour lines and short lines excepted.
 */
export function secretLines(value: string | undefined): string[] {
  if (!value || value.trim() === '') return [];
  if (!/[\r\n]/.test(value)) return [value];
  return value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((line) => line.length >= 8 && !/^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(line));
}
