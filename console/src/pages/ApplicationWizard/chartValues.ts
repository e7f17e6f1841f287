/**
 * The chart's default values and schema for the wizard: read from ksflux (which reads them
 * from the artifact of a HelmChart that pulled the chart, never from the repository's own
 * URLs) when a chart of a HelmRepository and a version are chosen.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { get, HOST } from '../../api/client';
import { keys, resourcePath } from '../../api/hooks';
import type { components } from '../../api/schema';
import { semverRange } from '../../forms/validation';
import { chartDefaults, type ChartDefaults } from './values';
import type { WizardState } from './model';

/** The API's answer: the chart's `values.yaml` text and its schema. */
export type ChartValues = components['schemas']['ChartValues'];

/** Whether the state names a chart of a Helm repository and a valid version to read. */
export function chartValuesWanted(s: WizardState): boolean {
  return (
    s.type === 'helm' &&
    s.sourceKind === 'HelmRepository' &&
    s.namespace !== '' &&
    s.sourceName !== '' &&
    s.chart.trim() !== '' &&
    !semverRange(s.version.trim() || '*')
  );
}

/** The chart's default values (as text and parsed, with the schema) for the wizard's state. */
export function useChartValues(s: WizardState) {
  const chart = s.chart.trim();
  const version = s.version.trim() || '*';
  const enabled = chartValuesWanted(s);
  const query = useQuery(
    [...keys.sub('helmrepositories', HOST, s.namespace, s.sourceName, `charts/${chart}/values`), version],
    ({ signal }) =>
      get<ChartValues>(
        resourcePath('helmrepositories', s.namespace, s.sourceName, `charts/${encodeURIComponent(chart)}/values`),
        { version },
        signal,
      ),
    { enabled, retry: false, staleTime: 60_000 },
  );
  const data = enabled ? query.data : undefined;
  const defaults: ChartDefaults | undefined = useMemo(
    () => (data ? chartDefaults(data.values, data.schema) : undefined),
    [data],
  );
  return { enabled, query, data, defaults };
}

/** What `useChartValues` gives the steps. */
export type ChartValuesState = ReturnType<typeof useChartValues>;
