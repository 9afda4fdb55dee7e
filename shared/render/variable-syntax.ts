/** `flux`: only `${NAME}` is substituted; `envsubst`: `$NAME` as well (substitute.ts). */
export type VariableSyntax = 'flux' | 'envsubst';
export const VARIABLE_SYNTAXES: readonly VariableSyntax[] = ['flux', 'envsubst'];

export const VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
