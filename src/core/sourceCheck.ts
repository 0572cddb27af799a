// Static check of a plugin's script before it may run: it must parse as a classic script, and it must not
// contain dynamic import(), the one syntax through which Node's vm hands a host-realm object to the realm.
import * as acorn from 'acorn';

export interface SourceProblem {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

interface AnyNode {
  type: string;
  start: number;
  loc?: { start: { line: number; column: number } } | null;
  [key: string]: unknown;
}

/**
 * Measured on Node 20 (DESIGN.md): `import()` inside a vm context rejects with an error of the worker's own
 * realm, whose constructor chain reaches `process`. Code generation from strings is off in the realm, so the
 * plugin's file is the only source of code there is, and refusing the syntax here closes the path.
 * We parse with acorn (the same grammar V8 applies to a classic script, Annex B included); anything acorn
 * cannot parse is refused too, so a parser disagreement fails closed.
 */
export function checkPluginSource(source: string): SourceProblem[] {
  let ast: acorn.Node;
  try {
    ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, locations: true });
  } catch (e) {
    const err = e as { message?: string; loc?: { line: number; column: number } };
    const p: SourceProblem = { message: `syntax error: ${String(err.message ?? e)}` };
    return [err.loc ? { ...p, line: err.loc.line, column: err.loc.column + 1 } : p];
  }
  const problems: SourceProblem[] = [];
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
      continue;
    }
    const n = node as AnyNode;
    if (typeof n.type !== 'string') continue;
    if (n.type === 'ImportExpression' || (n.type === 'MetaProperty' && (n['meta'] as AnyNode | undefined)?.['name'] === 'import')) {
      const loc = n.loc?.start;
      problems.push({
        message: 'dynamic import() is not allowed in plugins: bundle dependencies into the script at build time instead',
        ...(loc ? { line: loc.line, column: loc.column + 1 } : {}),
      });
    }
    for (const key of Object.keys(n)) {
      if (key === 'loc') continue;
      const child = n[key];
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
