import type { IncomingMessage } from 'node:http';
import { Kind, parse, valueFromASTUntyped, type OperationDefinitionNode, type TypeNode } from 'graphql';
import { loadContractOperations } from '../contract/operations';
import type { Route } from '../http/router';
import { escapeHtml, htmlPage, jsonForHtml } from './static-file';
import type { VendorAsset, VendorName } from './vendor';

/** What the browser script (public/playground.js) reads from the page. */
export interface PlaygroundConfig {
  endpoint: string;
  /** One GraphiQL tab per contract operation, in the contract's order; the first is shown. */
  tabs: Array<{ query: string; variables?: string; headers: string }>;
}

/** The operation GraphiQL opens on: the dashboard's one round trip. */
export const DEFAULT_OPERATION = 'Dashboard';

export const PLACEHOLDER_HEADERS = JSON.stringify({ Authorization: 'Bearer PASTE-A-TOKEN-HERE' }, null, 2);

/** A placeholder of the right shape for a variable without a default: easy to edit, obviously fake. */
function placeholder(type: TypeNode): unknown {
  if (type.kind === Kind.NON_NULL_TYPE) return placeholder(type.type);
  if (type.kind === Kind.LIST_TYPE) return [];
  switch (type.name.value) {
    case 'ID':
      return '1';
    case 'String':
      return '';
    case 'Int':
    case 'Float':
      return 0;
    case 'Boolean':
      return false;
    default:
      return type.kind === Kind.NAMED_TYPE && type.name.value.endsWith('Input') ? {} : null;
  }
}

function variablesFor(query: string): string | undefined {
  const op = parse(query).definitions[0] as OperationDefinitionNode;
  const defs = op.variableDefinitions ?? [];
  if (defs.length === 0) return undefined;
  const vars: Record<string, unknown> = {};
  for (const def of defs) {
    vars[def.variable.name.value] = def.defaultValue ? valueFromASTUntyped(def.defaultValue) : placeholder(def.type);
  }
  return JSON.stringify(vars, null, 2);
}

export function playgroundConfig(operations: Map<string, string> = loadContractOperations()): PlaygroundConfig {
  const names = [...operations.keys()].sort((a, b) => Number(b === DEFAULT_OPERATION) - Number(a === DEFAULT_OPERATION));
  return {
    endpoint: '/graphql',
    tabs: names.map((name) => {
      const query = operations.get(name) as string;
      const variables = variablesFor(query);
      return { query, headers: PLACEHOLDER_HEADERS, ...(variables ? { variables } : {}) };
    }),
  };
}

export function renderPlayground(assets: Record<VendorName | 'client', VendorAsset>, config: PlaygroundConfig): string {
  const script = (name: VendorName | 'client') => `<script src="${escapeHtml(assets[name].path)}"></script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wardcache · GraphQL playground</title>
<link rel="stylesheet" href="${escapeHtml(assets.graphiqlCss.path)}">
<style>html, body, #graphiql { height: 100%; margin: 0; } .wardcache-logo { font-weight: 600; }</style>
</head>
<body>
<div id="graphiql"><p style="font-family: sans-serif; padding: 2rem">Loading the playground…</p></div>
<script type="application/json" id="playground-config">${jsonForHtml(config)}</script>
${script('react')}
${script('reactDom')}
${script('graphiqlJs')}
${script('client')}
</body>
</html>
`;
}

/** The page route; built on first request (the contract file is read then). */
export function playgroundPage(assets: Record<VendorName | 'client', VendorAsset>): Route {
  return htmlPage(() => renderPlayground(assets, playgroundConfig()));
}

/** A browser opening /graphql: a GET that accepts HTML and carries no query (no text, no documentId). */
export function wantsPlayground(req: IncomingMessage, search: string): boolean {
  if (req.method !== 'GET') return false;
  const accept = String(req.headers.accept ?? '').toLowerCase();
  if (!accept.includes('text/html')) return false;
  const params = new URLSearchParams(search);
  return !params.has('query') && !params.has('documentId');
}

/** Wraps the /graphql route: browsers get the playground, every other request the handler. */
export function withPlayground(graphql: Route, playground: Route): Route {
  return (req, res, search) => (wantsPlayground(req, search) ? playground(req, res, search) : graphql(req, res, search));
}
