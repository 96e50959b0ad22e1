/** Words that look like metric names in PromQL but are operators or modifiers. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan', 'atan2']);

/**
 * The metric names a PromQL expression reads. Good enough for the expressions this repository
 * ships: strings, label matchers, ranges and grouping clauses are removed first, then every
 * identifier that is not a function call or a keyword is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w:$.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    const name = match[1]!;
    if (!KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/** `label_values(metric, label)` and friends: the metric a Grafana variable query reads, if any. */
export function variableMetricNames(query: string): string[] {
  const labelValues = /^\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*[,{]/.exec(query);
  if (labelValues) return [labelValues[1]!];
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  return metricNames(queryResult ? queryResult[1]! : query);
}
