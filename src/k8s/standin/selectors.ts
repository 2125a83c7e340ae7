/**
 * Label and field selectors of the K8s stand-in (staging and tests only), with the grammar of
 * k8s.io/apimachinery `labels.Parse` and `fields.ParseSelector`.
 */

export class SelectorError extends Error {}

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!exists" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

type Token =
  | { kind: "id"; text: string }
  | { kind: "op"; text: "!" | "=" | "==" | "!=" | "<" | ">" | "(" | ")" | "," };

const LABEL_KEY_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      tokens.push({ kind: "op", text: two });
      i += 2;
      continue;
    }
    if ("!=<>(),".includes(c)) {
      tokens.push({ kind: "op", text: c as "!" | "=" | "<" | ">" | "(" | ")" | "," });
      i += 1;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/.test(input.charAt(j)) && !"!=<>(),".includes(input.charAt(j))) j += 1;
    tokens.push({ kind: "id", text: input.slice(i, j) });
    i = j;
  }
  return tokens;
}

function checkKey(key: string): void {
  const slash = key.indexOf("/");
  const [prefix, name] = slash === -1 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}": prefix part must be a DNS-1123 subdomain`);
  }
  if (!LABEL_KEY_NAME.test(name)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function checkValue(value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** Parses a label selector; an empty string selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token | undefined => tokens[pos++];
  const expectId = (what: string): string => {
    const t = next();
    if (!t || t.kind !== "id") throw new SelectorError(`unable to parse requirement: expected ${what} in "${selector}"`);
    return t.text;
  };

  while (pos < tokens.length) {
    let requirement: LabelRequirement;
    const first = next();
    if (first?.kind === "op" && first.text === "!") {
      const key = expectId("a label key after '!'");
      checkKey(key);
      requirement = { key, operator: "!exists", values: [] };
    } else if (first?.kind === "id") {
      const key = first.text;
      checkKey(key);
      const op = peek();
      if (!op || (op.kind === "op" && op.text === ",")) {
        requirement = { key, operator: "exists", values: [] };
      } else if (op.kind === "id" && (op.text === "in" || op.text === "notin")) {
        pos += 1;
        const open = next();
        if (open?.kind !== "op" || open.text !== "(") throw new SelectorError(`unable to parse requirement: expected '(' after "${op.text}" in "${selector}"`);
        const values: string[] = [];
        for (;;) {
          const t = next();
          if (t?.kind === "id") {
            checkValue(t.text);
            values.push(t.text);
          } else if (t?.kind === "op" && (t.text === "," || t.text === ")")) {
            values.push("");
            pos -= 1;
          } else {
            throw new SelectorError(`unable to parse requirement: expected a value in "${selector}"`);
          }
          const sep = next();
          if (sep?.kind === "op" && sep.text === ")") break;
          if (sep?.kind !== "op" || sep.text !== ",") throw new SelectorError(`unable to parse requirement: expected ',' or ')' in "${selector}"`);
        }
        if (values.length === 1 && values[0] === "" && tokens[pos - 2]?.text === "(") {
          throw new SelectorError(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`);
        }
        requirement = { key, operator: op.text, values };
      } else if (op.kind === "op" && (op.text === "=" || op.text === "==" || op.text === "!=")) {
        pos += 1;
        const t = peek();
        let value = "";
        if (t?.kind === "id") {
          value = t.text;
          pos += 1;
        }
        checkValue(value);
        requirement = { key, operator: op.text === "!=" ? "!=" : "=", values: [value] };
      } else if (op.kind === "op" && (op.text === "<" || op.text === ">")) {
        pos += 1;
        const value = expectId("an integer");
        if (!/^-?\d+$/.test(value)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: "${value}"`);
        requirement = { key, operator: op.text === ">" ? "gt" : "lt", values: [value] };
      } else {
        throw new SelectorError(`unable to parse requirement: found '${op.text}', expected an operator in "${selector}"`);
      }
    } else {
      throw new SelectorError(`unable to parse requirement: found '${first?.text ?? ""}', expected a label key in "${selector}"`);
    }
    requirements.push(requirement);
    const sep = next();
    if (sep && !(sep.kind === "op" && sep.text === ",")) throw new SelectorError(`unable to parse requirement: found '${sep.text}', expected ',' in "${selector}"`);
    if (sep && pos >= tokens.length) throw new SelectorError(`unable to parse requirement: trailing ',' in "${selector}"`);
  }
  return requirements;
}

export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const all = labels ?? {};
  return requirements.every(({ key, operator, values }) => {
    const has = Object.hasOwn(all, key);
    const value = all[key];
    switch (operator) {
      case "=":
        return has && value === values[0];
      case "!=":
        return !has || value !== values[0];
      case "in":
        return has && values.includes(value ?? "");
      case "notin":
        return !has || !values.includes(value ?? "");
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(value ?? "")) return false;
        const n = Number(value);
        return operator === "gt" ? n > Number(values[0]) : n < Number(values[0]);
      }
    }
  });
}

/** Splits on separators not escaped with a backslash, keeping escapes for later. */
function splitUnescaped(input: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < input.length; i++) {
    const c = input.charAt(i);
    if (c === "\\" && i + 1 < input.length) {
      current += c + input.charAt(i + 1);
      i += 1;
    } else if (c === separator) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\" || c === "," || c === "=") return c;
    throw new SelectorError(`invalid field selector: invalid escape sequence "\\${c}"`);
  });
}

/** Parses a field selector (`a=b,c!=d`); an empty string selects everything. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === "") return [];
  return splitUnescaped(selector, ",").map((term) => {
    for (const [token, operator] of [["!=", "!="], ["==", "="], ["=", "="]] as const) {
      const at = findUnescaped(term, token);
      if (at !== -1) {
        const field = term.slice(0, at).trim();
        if (!field) throw new SelectorError(`invalid field selector: "${term}" names no field`);
        return { field, operator, value: unescapeFieldValue(term.slice(at + token.length)) };
      }
    }
    throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
  });
}

function findUnescaped(term: string, token: string): number {
  for (let i = 0; i < term.length; i++) {
    if (term.charAt(i) === "\\") {
      i += 1;
      continue;
    }
    if (term.startsWith(token, i)) return i;
  }
  return -1;
}

export function matchesFields(requirements: readonly FieldRequirement[], fields: Readonly<Record<string, string>>): boolean {
  return requirements.every(({ field, operator, value }) => ((fields[field] ?? "") === value) === (operator === "="));
}
