/** One node of `EXPLAIN (FORMAT JSON)` output, with the fields the plan tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [field: string]: unknown;
}

/** Every node of an `EXPLAIN (FORMAT JSON)` result (the value of its one `QUERY PLAN` column), depth first. */
export function planNodes(explained: unknown): PlanNode[] {
  const root = (explained as { Plan: PlanNode }[])[0]!.Plan;
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    node.Plans?.forEach(walk);
  };
  walk(root);
  return nodes;
}
