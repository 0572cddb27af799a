// Align Markdown Table: lines up the columns of every Markdown table in the selection.
// Written in TypeScript against the plugin API's typings and bundled by build.mjs into the one
// self-contained index.js the runtime loads (plugin.json's "main").
import type { TransformInput, PluginApi, TransformResult } from '../../../types/plugin-api';
import { alignTables } from './table';

export function transform(input: TransformInput, api: PluginApi): TransformResult {
  const { text, tables } = alignTables(input.text);
  api.log(tables === 0 ? `no Markdown table found in ${input.fileName}` : `aligned ${tables} table${tables === 1 ? '' : 's'}`);
  return text;
}
